// The expertise-map benchmark's data: organisations, people, their expertise entries and
// needs for support, in French, drawn from a seeded generator (same seed and same
// vocabulary, same data, byte for byte). No I/O here: load.mjs feeds it the vocabulary the
// server serves (GET /api/meta, GET /api/expertise/domains) and sends the result over HTTP.
//
//   generate({ seed, people, entries, orgs, needs, meta, vocab }) -> { orgs, people, needs }
//
// Shapes (what load.mjs posts; ids come from the server):
//   org    {key, name, type, region, departements, id (when the server already has it)}
//   person {key, name, org (org key | null), role, region, departements, consent, audience,
//           email, phone, entries: [{domain, level, scope, note, days_ago, validated}]}
//   need   {key, title, description, cpts_name, departements, domains, phase, urgency,
//           assign (bool: to be assigned), progress (bool: then moved to in_progress)}

// ---------------------------------------------------------------- random numbers

/// sfc32 seeded from a string: small, fast, the same on every Node version.
export function rng(seed) {
  let h = 1779033703 ^ seed.length;
  for (let i = 0; i < seed.length; i += 1) {
    h = Math.imul(h ^ seed.charCodeAt(i), 3432918353);
    h = (h << 13) | (h >>> 19);
  }
  const next32 = () => {
    h = Math.imul(h ^ (h >>> 16), 2246822507);
    h = Math.imul(h ^ (h >>> 13), 3266489909);
    return (h ^= h >>> 16) >>> 0;
  };
  let a = next32(), b = next32(), c = next32(), d = next32();
  const random = () => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 15; i += 1) random();
  const r = {
    random,
    int: (lo, hi) => lo + Math.floor(random() * (hi - lo + 1)),  // inclusive
    pick: (xs) => xs[Math.floor(random() * xs.length)],
    chance: (p) => random() < p,
    /// One key of {key: weight}.
    weighted: (weights) => {
      const entries = Object.entries(weights);
      let total = 0;
      for (const [, w] of entries) total += w;
      let x = random() * total;
      for (const [k, w] of entries) {
        x -= w;
        if (x < 0) return k;
      }
      return entries[entries.length - 1][0];
    },
    /// k distinct elements of xs, drawn by weight (weights[i] for xs[i], default 1).
    sample: (xs, k, weights) => {
      const pool = xs.map((x, i) => [x, weights ? weights[i] : 1]);
      const out = [];
      while (out.length < k && pool.length) {
        let total = 0;
        for (const [, w] of pool) total += w;
        let x = random() * total;
        let i = 0;
        for (; i < pool.length - 1; i += 1) {
          x -= pool[i][1];
          if (x < 0) break;
        }
        out.push(pool[i][0]);
        pool.splice(i, 1);
      }
      return out;
    },
  };
  return r;
}

/// Accent- and case-insensitive key (duplicates of a name within an organisation).
export function fold(s) {
  return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();
}

// ---------------------------------------------------------------- vocabulary

const FIRST = [
  'Marie', 'Nathalie', 'Isabelle', 'Sylvie', 'Catherine', 'Françoise', 'Christine', 'Sandrine', 'Valérie', 'Céline',
  'Stéphanie', 'Sophie', 'Véronique', 'Aurélie', 'Julie', 'Émilie', 'Camille', 'Laure', 'Hélène', 'Anne',
  'Claire', 'Élodie', 'Caroline', 'Virginie', 'Delphine', 'Agnès', 'Brigitte', 'Martine', 'Pascale', 'Mélanie',
  'Audrey', 'Laetitia', 'Karine', 'Émilie', 'Pauline', 'Manon', 'Léa', 'Chloé', 'Marion', 'Amandine',
  'Anne-Sophie', 'Marie-Claire', 'Marie-Hélène', 'Ségolène', 'Gaëlle', 'Maëlle', 'Solène', 'Noémie', 'Fatima', 'Nadia',
  'Jean', 'Philippe', 'Michel', 'Alain', 'Patrick', 'Nicolas', 'Christophe', 'Pierre', 'Christian', 'Éric',
  'Frédéric', 'Laurent', 'Stéphane', 'David', 'Olivier', 'Sébastien', 'Julien', 'Thierry', 'Vincent', 'François',
  'Jérôme', 'Guillaume', 'Antoine', 'Thomas', 'Mathieu', 'Benoît', 'Arnaud', 'Yann', 'Hervé', 'Bruno',
  'Jean-Pierre', 'Jean-Marc', 'Jean-Luc', 'Pierre-Yves', 'Loïc', 'Gaël', 'Cédric', 'Grégory', 'Damien', 'Romain',
  'Maxime', 'Hugo', 'Lucas', 'Karim', 'Mehdi', 'Rachid', 'Youssef', 'Mamadou', 'Franck', 'Gilles',
];

const LAST = [
  'Martin', 'Bernard', 'Thomas', 'Petit', 'Robert', 'Richard', 'Durand', 'Dubois', 'Moreau', 'Laurent',
  'Simon', 'Michel', 'Lefebvre', 'Leroy', 'Roux', 'David', 'Bertrand', 'Morel', 'Fournier', 'Girard',
  'Bonnet', 'Dupont', 'Lambert', 'Fontaine', 'Rousseau', 'Vincent', 'Muller', 'Lefèvre', 'Faure', 'André',
  'Mercier', 'Blanc', 'Guérin', 'Boyer', 'Garnier', 'Chevalier', 'François', 'Legrand', 'Gauthier', 'Garcia',
  'Perrin', 'Robin', 'Clément', 'Morin', 'Nicolas', 'Henry', 'Roussel', 'Mathieu', 'Gautier', 'Masson',
  'Marchand', 'Duval', 'Denis', 'Dumont', 'Marie', 'Lemaire', 'Noël', 'Meyer', 'Dufour', 'Meunier',
  'Brun', 'Blanchard', 'Giraud', 'Joly', 'Rivière', 'Lucas', 'Brunet', 'Gaillard', 'Barbier', 'Arnaud',
  'Martinez', 'Gérard', 'Roche', 'Renard', 'Schmitt', 'Roy', 'Leroux', 'Colin', 'Vidal', 'Caron',
  'Picard', 'Roger', 'Fabre', 'Aubert', 'Lemoine', 'Renaud', 'Dumas', 'Lacroix', 'Olivier', 'Philippe',
  'Bourgeois', 'Pierre', 'Benoît', 'Rey', 'Leclerc', 'Payet', 'Rolland', 'Leclercq', 'Guillaume', 'Lecomte',
  'Lopez', 'Jean', 'Dupuis', 'Guillot', 'Hubert', 'Berger', 'Carpentier', 'Sanchez', 'Moulin', 'Louis',
  'Deschamps', 'Huet', 'Vasseur', 'Perez', 'Boucher', 'Fleury', 'Royer', 'Klein', 'Jacquet', 'Adam',
  'Poirier', 'Marty', 'Aubry', 'Guyot', 'Carré', 'Charles', 'Renault', 'Charpentier', 'Ménard', 'Maillard',
  'Baron', 'Bertin', 'Bailly', 'Hervé', 'Schneider', 'Fernandez', 'Le Gall', 'Collet', 'Léger', 'Bouvier',
  'Julien', 'Prévost', 'Millet', 'Perrot', 'Daniel', 'Le Roux', 'Cousin', 'Germain', 'Breton', 'Besson',
  'Langlois', 'Rémy', 'Le Goff', 'Pelletier', 'Lévêque', 'Perrier', 'Leblanc', 'Barré', 'Lebrun', 'Marchal',
  'Weber', 'Mallet', 'Hamon', 'Boulanger', 'Jacob', 'Monnier', 'Michaud', 'Rodriguez', 'Guichard', 'Gillet',
  'Étienne', 'Grondin', 'Poulain', 'Tessier', 'Chevallier', 'Collin', 'Chauvin', 'Da Silva', 'Bouchet', 'Gay',
  'Lemaître', 'Bénard', 'Maréchal', 'Humbert', 'Reynaud', 'Antoine', 'Hoarau', 'Perret', 'Barthélemy', 'Cordier',
  'Pichon', 'Lejeune', 'Gilbert', 'Lamy', 'Delaunay', 'Pasquier', 'Carlier', 'Laporte', 'Kerbrat', 'Le Bihan',
];

/// Towns and their département, for CPTS names, notes and needs.
const TOWNS = [
  ['Lille', '59'], ['Roubaix', '59'], ['Tourcoing', '59'], ['Dunkerque', '59'], ['Valenciennes', '59'], ['Douai', '59'],
  ['Cambrai', '59'], ['Maubeuge', '59'], ['Armentières', '59'], ['Arras', '62'], ['Lens', '62'], ['Calais', '62'],
  ['Boulogne-sur-Mer', '62'], ['Béthune', '62'], ['Saint-Omer', '62'], ['Amiens', '80'], ['Abbeville', '80'],
  ['Beauvais', '60'], ['Compiègne', '60'], ['Creil', '60'], ['Laon', '02'], ['Saint-Quentin', '02'], ['Soissons', '02'],
  ['Rouen', '76'], ['Le Havre', '76'], ['Dieppe', '76'], ['Caen', '14'], ['Lisieux', '14'], ['Cherbourg', '50'],
  ['Saint-Lô', '50'], ['Alençon', '61'], ['Évreux', '27'], ['Paris', '75'], ['Versailles', '78'], ['Nanterre', '92'],
  ['Saint-Denis', '93'], ['Montreuil', '93'], ['Créteil', '94'], ['Évry', '91'], ['Cergy', '95'], ['Melun', '77'],
  ['Meaux', '77'], ['Strasbourg', '67'], ['Haguenau', '67'], ['Colmar', '68'], ['Mulhouse', '68'], ['Metz', '57'],
  ['Thionville', '57'], ['Nancy', '54'], ['Épinal', '88'], ['Reims', '51'], ['Châlons-en-Champagne', '51'], ['Troyes', '10'],
  ['Charleville-Mézières', '08'], ['Chaumont', '52'], ['Bar-le-Duc', '55'], ['Dijon', '21'], ['Beaune', '21'],
  ['Besançon', '25'], ['Montbéliard', '25'], ['Belfort', '90'], ['Mâcon', '71'], ['Chalon-sur-Saône', '71'],
  ['Auxerre', '89'], ['Nevers', '58'], ['Lons-le-Saunier', '39'], ['Vesoul', '70'], ['Lyon', '69'], ['Villeurbanne', '69'],
  ['Villefranche-sur-Saône', '69'], ['Saint-Étienne', '42'], ['Roanne', '42'], ['Grenoble', '38'], ['Vienne', '38'],
  ['Annecy', '74'], ['Chambéry', '73'], ['Valence', '26'], ['Bourg-en-Bresse', '01'], ['Clermont-Ferrand', '63'],
  ['Vichy', '03'], ['Montluçon', '03'], ['Aurillac', '15'], ['Le Puy-en-Velay', '43'], ['Privas', '07'], ['Aubenas', '07'],
  ['Marseille', '13'], ['Aix-en-Provence', '13'], ['Arles', '13'], ['Toulon', '83'], ['Fréjus', '83'], ['Nice', '06'],
  ['Cannes', '06'], ['Avignon', '84'], ['Gap', '05'], ['Digne-les-Bains', '04'], ['Montpellier', '34'], ['Béziers', '34'],
  ['Sète', '34'], ['Nîmes', '30'], ['Alès', '30'], ['Perpignan', '66'], ['Carcassonne', '11'], ['Narbonne', '11'],
  ['Toulouse', '31'], ['Saint-Gaudens', '31'], ['Albi', '81'], ['Castres', '81'], ['Montauban', '82'], ['Tarbes', '65'],
  ['Auch', '32'], ['Rodez', '12'], ['Cahors', '46'], ['Foix', '09'], ['Mende', '48'], ['Pau', '64'], ['Bayonne', '64'],
  ['Bordeaux', '33'], ['Arcachon', '33'], ['Libourne', '33'], ['Mont-de-Marsan', '40'], ['Dax', '40'], ['Agen', '47'],
  ['Périgueux', '24'], ['Bergerac', '24'], ['Limoges', '87'], ['Tulle', '19'], ['Brive-la-Gaillarde', '19'],
  ['Guéret', '23'], ['Poitiers', '86'], ['Châtellerault', '86'], ['La Rochelle', '17'], ['Saintes', '17'], ['Niort', '79'],
  ['Angoulême', '16'], ['Nantes', '44'], ['Saint-Nazaire', '44'], ['Angers', '49'], ['Cholet', '49'], ['Le Mans', '72'],
  ['Laval', '53'], ['La Roche-sur-Yon', '85'], ['Les Sables-d\'Olonne', '85'], ['Rennes', '35'], ['Saint-Malo', '35'],
  ['Vitré', '35'], ['Brest', '29'], ['Quimper', '29'], ['Morlaix', '29'], ['Lorient', '56'], ['Vannes', '56'],
  ['Pontivy', '56'], ['Saint-Brieuc', '22'], ['Lannion', '22'], ['Orléans', '45'], ['Montargis', '45'], ['Tours', '37'],
  ['Blois', '41'], ['Chartres', '28'], ['Dreux', '28'], ['Bourges', '18'], ['Châteauroux', '36'], ['Ajaccio', '2A'],
  ['Bastia', '2B'], ['Pointe-à-Pitre', '971'], ['Basse-Terre', '971'], ['Fort-de-France', '972'], ['Cayenne', '973'],
  ['Saint-Pierre', '974'], ['Saint-Paul', '974'], ['Mamoudzou', '976'],
];

/// Sentences per domain: what people write about what they know.
const NOTES = {
  donnees: [
    'Exploitation des données du SNDS pour objectiver les besoins de santé du territoire.',
    'Tableaux de bord de consommation de soins à partir de Rézone CPTS.',
    "Cartographie de l'offre de soins avec Cartosanté et l'atlas de la démographie médicale.",
    'Analyse des patients sans médecin traitant, commune par commune.',
    "Lecture des indicateurs de l'observatoire régional de santé (ORS).",
    "Croisement des données de l'INSEE et des données de l'Assurance Maladie.",
    'Suivi de la file active et du taux de recours aux urgences.',
    'Requêtes sur les bases de remboursement et indicateurs de densité médicale.',
  ],
  diagnostic: [
    'Conduite de diagnostics territoriaux partagés avec les professionnels de santé.',
    "Entretiens et questionnaires auprès des soignants du bassin de vie.",
    "Repérage des zones sous-denses et des zones d'intervention prioritaire (ZIP).",
    'Repérage des besoins non couverts : santé mentale, pédiatrie, soins palliatifs.',
    'Rédaction de la synthèse du diagnostic et priorisation des actions.',
    'Définition du périmètre de la CPTS et des communes concernées.',
    "Diagnostic de l'accès aux soins des personnes en situation de handicap.",
  ],
  projet_sante: [
    "Relecture de lettres d'intention avant leur dépôt auprès de l'ARS et de la CPAM.",
    "Accompagnement à l'écriture du projet de santé et de ses fiches actions.",
    'Préparation de la présentation du projet de santé en comité de validation.',
    "Articulation du projet de santé avec le contrat local de santé (CLS).",
    'Aide à la formulation des objectifs opérationnels et du calendrier.',
    'Reprise de projets de santé refusés en première lecture.',
  ],
  indicateurs_aci: [
    "Suivi des indicateurs de l'ACI et préparation des dialogues de gestion annuels.",
    "Calcul de la part fixe et de la part variable de l'accord conventionnel interprofessionnel.",
    'Construction des indicateurs de résultat par mission socle.',
    "Préparation du rapport d'activité annuel et des pièces justificatives.",
    "Négociation des niveaux d'atteinte des objectifs avec la CPAM.",
    "Signature du contrat ACI et montée en charge sur trois ans.",
  ],
  financement: [
    'Montage budgétaire et plan de financement pluriannuel.',
    "Mobilisation du fonds d'intervention régional (FIR) et des crédits d'amorçage.",
    'Réponse aux appels à projets : prévention, exercice coordonné, e-santé.',
    "Suivi de trésorerie et calendrier des versements de l'Assurance Maladie.",
    'Recherche de cofinancements auprès des collectivités territoriales.',
    'Rémunération des professionnels pour le temps de coordination.',
  ],
  juridique: [
    "Rédaction des statuts d'association loi 1901 et du règlement intérieur.",
    "Composition du conseil d'administration et du bureau, collèges de professionnels.",
    'Gouvernance partagée, assemblée générale et procès-verbaux.',
    'Conventions de partenariat avec les établissements et le GHT.',
    'Responsabilité, RGPD et protection des données de santé.',
    'Choix de la forme juridique : association ou SISA.',
    "Contrat de travail du coordinateur et fiche de poste.",
  ],
  parcours: [
    'Parcours des patients diabétiques et des insuffisants cardiaques.',
    "Coordination ville-hôpital pour les sorties d'hospitalisation.",
    'Parcours des personnes âgées : prévention de la perte d\'autonomie et des chutes.',
    'Protocoles pluriprofessionnels avec les pharmaciens et les infirmiers.',
    'Parcours en santé mentale avec le CMP et les psychologues libéraux.',
    'Accès à un médecin traitant pour les patients en ALD.',
    "Parcours de l'enfant et de la périnatalité avec la PMI et les sages-femmes.",
  ],
  prevention: [
    "Campagnes de dépistage organisé des cancers : sein, côlon, col de l'utérus.",
    'Vaccination contre la grippe et rattrapage HPV au collège.',
    "Prévention de l'obésité infantile avec les écoles.",
    'Éducation thérapeutique du patient (ETP) et programmes autorisés.',
    'Prévention des addictions et sevrage tabagique pendant le Mois sans tabac.',
    'Plan canicule : repérage des personnes âgées isolées.',
    'Actions de santé sexuelle avec le planning familial.',
  ],
  numerique: [
    'Déploiement de la messagerie sécurisée de santé (MSSanté) et du DMP.',
    'Mise en place de la télémédecine : téléconsultation et téléexpertise.',
    "Choix d'un outil de coordination et d'un logiciel de partage d'information.",
    "Accompagnement à Mon espace santé et à l'e-prescription.",
    'Sécurité des systèmes d\'information et hébergement de données de santé (HDS).',
    'Agenda partagé et plateforme de prise de rendez-vous en ligne.',
  ],
  snp_sas: [
    'Organisation des soins non programmés en journée avec les médecins généralistes.',
    "Participation au service d'accès aux soins (SAS) et à la régulation libérale.",
    'Créneaux dédiés aux soins non programmés et rémunération des effecteurs.',
    "Lien avec le SAMU, le centre 15 et les urgences de l'hôpital.",
    'Permanence des soins ambulatoires (PDSA) et maisons médicales de garde.',
    'Orientation des patients par les pharmaciens vers les créneaux disponibles.',
  ],
  animation: [
    "Animation d'ateliers de co-construction avec les professionnels de santé.",
    'Facilitation de réunions plénières et de groupes de travail thématiques.',
    "Techniques d'intelligence collective : world café, photolangage, SWOT.",
    'Animation de soirées de formation pluriprofessionnelle.',
    'Mobilisation des professionnels libéraux et des représentants des usagers.',
    'Préparation et compte rendu de séminaires de lancement.',
  ],
  communication: [
    "Création d'un site internet et d'une lettre d'information pour la CPTS.",
    "Communication auprès des patients sur l'accès aux soins.",
    'Relations presse et réseaux sociaux.',
    'Charte graphique, plaquettes et annuaire des adhérents.',
    'Présentation de la CPTS aux élus et aux partenaires du territoire.',
    'Campagnes d\'adhésion auprès des professionnels du territoire.',
  ],
};

/// Sentences that may follow any note ({town}, {year}, {n} filled in).
const EXTRA = [
  'Intervient auprès de la CPTS de {town} depuis {year}.',
  "{n} ans d'expérience dans l'accompagnement des CPTS.",
  "Travaille en binôme avec la délégation départementale de l'ARS.",
  'Disponible pour des échanges ponctuels par téléphone.',
  'Formateur pour le réseau national des CPTS.',
  "A accompagné {n} CPTS de la signature de l'ACI à la montée en charge.",
  'Ancien coordinateur de maison de santé pluriprofessionnelle (MSP).',
  'Bonne connaissance du territoire de {town} et de ses acteurs.',
  'Intervenant lors des journées régionales des CPTS en {year}.',
  'Peut partager des modèles de documents et des retours d\'expérience.',
];

/// Domains each role knows best (weight 4; the others 1).
const ROLE_DOMAINS = {
  dam: ['financement', 'indicateurs_aci', 'projet_sante', 'communication'],
  cis: ['numerique', 'donnees'],
  cm_gdr: ['donnees', 'diagnostic', 'indicateurs_aci', 'prevention'],
  roc_admin: ['indicateurs_aci', 'projet_sante', 'juridique', 'financement'],
  roc_medical: ['parcours', 'prevention', 'snp_sas', 'diagnostic'],
  cdt_msa: ['diagnostic', 'animation', 'prevention', 'parcours'],
  dt_ars: ['projet_sante', 'financement', 'diagnostic', 'snp_sas'],
  agent_direction: ['financement', 'juridique', 'indicateurs_aci'],
  coordinateur_cpts: ['animation', 'communication', 'projet_sante', 'parcours', 'juridique'],
  professionnel: ['parcours', 'prevention', 'snp_sas', 'numerique'],
  urps: ['diagnostic', 'animation', 'snp_sas', 'juridique'],
  autre: ['communication', 'animation', 'donnees'],
};

/// The roles of each type of organisation, with weights.
const TYPE_ROLES = {
  cpam: { dam: 5, cis: 3, roc_admin: 2, agent_direction: 1, cm_gdr: 1 },
  elsm: { roc_medical: 5, agent_direction: 1 },
  dcgdr: { cm_gdr: 5, agent_direction: 1, roc_admin: 1 },
  msa: { cdt_msa: 5, agent_direction: 1, roc_medical: 1 },
  ars: { dt_ars: 6, agent_direction: 1 },
  urps: { urps: 5, professionnel: 2 },
  cpts: { coordinateur_cpts: 3, professionnel: 6, autre: 1 },
};

const NEED_TITLES = {
  donnees: ['Exploiter les données de consommation de soins', 'Chiffrer les patients sans médecin traitant'],
  diagnostic: ['Réaliser le diagnostic territorial', 'Actualiser le diagnostic après deux ans'],
  projet_sante: ['Rédiger la lettre d\'intention', 'Finaliser le projet de santé'],
  indicateurs_aci: ['Préparer le dialogue de gestion', 'Construire les indicateurs ACI'],
  financement: ['Monter le budget de la première année', 'Trouver des financements pour une action de prévention'],
  juridique: ['Rédiger les statuts de l\'association', 'Revoir la gouvernance'],
  parcours: ['Organiser un parcours insuffisance cardiaque', 'Améliorer les sorties d\'hospitalisation'],
  prevention: ['Lancer une campagne de dépistage', 'Organiser la vaccination antigrippale'],
  numerique: ['Choisir un outil de coordination', 'Déployer la téléexpertise'],
  snp_sas: ['Organiser les soins non programmés', 'Rejoindre le SAS départemental'],
  animation: ['Animer le séminaire de lancement', 'Relancer les groupes de travail'],
  communication: ['Faire connaître la CPTS aux patients', 'Créer la lettre d\'information'],
};

// ---------------------------------------------------------------- generation

export function generate({ seed = 'relais-expertise-1', people: nPeople = 10000, entries: nEntries = 50000,
  orgs: nOrgs = 150, needs: nNeeds = 200, meta, vocab, existing = [] }) {
  const r = rng(seed);
  const regions = meta.regions.map((x) => ({ code: x.code, name: x.label, deps: x.departements.map((d) => d.code) }));
  const regionOfDep = new Map();
  for (const reg of regions) for (const d of reg.deps) regionOfDep.set(d, reg.code);
  const depName = new Map(meta.departements.map((d) => [d.code, d.label]));
  const domains = vocab.domains.filter((d) => !d.archived).map((d) => d.code);
  const roles = new Set(vocab.roles.map((x) => x.code));
  const phases = meta.phases.map((p) => p.code);
  const towns = TOWNS.filter(([, d]) => regionOfDep.has(d));
  const townsOf = (dep) => towns.filter(([, d]) => d === dep).map(([t]) => t);
  // People and organisations are spread by a rough weight of each région (population).
  const regionWeight = { 11: 12, 84: 8, 32: 6, 76: 6, 75: 6, 93: 5, 44: 5, 52: 4, 53: 3, 28: 3, 27: 3, 24: 3, 94: 1, '01': 1, '02': 1, '03': 1, '04': 1, '06': 1 };
  const regionWeights = Object.fromEntries(regions.map((x) => [x.code, regionWeight[x.code] ?? 1]));

  // Organisations: per région an ARS and a DCGDR, CPAM and ELSM of some départements, MSA,
  // URPS; CPTS make up the rest.
  // The organisations the server already has (its seed) come first and count.
  const orgs = [];
  const names = new Set();
  const addOrg = (name, type, region, departements, id) => {
    if (names.has(fold(name)) || orgs.length >= nOrgs) return;
    names.add(fold(name));
    orgs.push({ key: `o${orgs.length}`, name, type, region, departements: [...departements].sort(), ...(id ? { id } : {}) });
  };
  for (const o of existing) if (o.region) addOrg(o.name, o.type, o.region, o.departements, o.id);
  for (const reg of regions) addOrg(`ARS ${reg.name}`, 'ars', reg.code, []);
  for (const reg of regions.filter((x) => x.deps.length > 1)) addOrg(`DCGDR ${reg.name}`, 'dcgdr', reg.code, []);
  const allDeps = regions.flatMap((x) => x.deps);
  for (const d of r.sample(allDeps, 30, allDeps.map((x) => regionWeights[regionOfDep.get(x)]))) {
    addOrg(`CPAM ${depName.get(d)}`, 'cpam', regionOfDep.get(d), [d]);
  }
  for (const d of r.sample(allDeps, 12, allDeps.map((x) => regionWeights[regionOfDep.get(x)]))) {
    addOrg(`ELSM ${depName.get(d)}`, 'elsm', regionOfDep.get(d), [d]);
  }
  for (const reg of r.sample(regions.filter((x) => x.deps.length > 1), 10)) {
    const deps = r.sample(reg.deps, Math.min(reg.deps.length, r.int(2, 3)));
    addOrg(`MSA ${deps.map((d) => depName.get(d)).join('-')}`, 'msa', reg.code, deps);
  }
  const professions = ['Médecins libéraux', 'Infirmiers', 'Pharmaciens', 'Masseurs-kinésithérapeutes'];
  for (const reg of r.sample(regions.filter((x) => x.deps.length > 1), 6)) {
    for (const p of r.sample(professions, 2)) addOrg(`URPS ${p} ${reg.name}`, 'urps', reg.code, []);
  }
  const patterns = ['CPTS de {town}', 'CPTS du Pays de {town}', 'CPTS {town} Centre', 'CPTS {town} Nord', 'CPTS {town} Sud', 'CPTS du Grand {town}', 'CPTS Val de {town}'];
  for (let guard = 0; orgs.length < nOrgs && guard < 10000; guard += 1) {
    const [town, dep] = r.pick(towns);
    addOrg(r.pick(patterns).replace('{town}', town), 'cpts', regionOfDep.get(dep), [dep]);
  }
  const orgsByRegion = new Map();
  for (const o of orgs) orgsByRegion.set(o.region, [...(orgsByRegion.get(o.region) ?? []), o]);

  // People: most belong to an organisation of their région, a few to none.
  const people = [];
  const taken = new Set();  // org key + folded name: one name per organisation
  const emails = new Set();
  const orgWeight = { cpam: 4, cpts: 3, dcgdr: 3, ars: 3, msa: 2, elsm: 2, urps: 1 };
  const orgWeights = orgs.map((o) => (orgWeight[o.type] ?? 0) * (regionWeights[o.region] ?? 1));
  for (let i = 0; i < nPeople; i += 1) {
    const org = r.chance(0.05) ? null : r.sample(orgs, 1, orgWeights)[0];
    let name;
    for (;;) {
      name = `${r.pick(FIRST)} ${r.pick(LAST)}`;
      const key = `${org ? org.key : '-'}|${fold(name)}`;
      if (!taken.has(key)) { taken.add(key); break; }
    }
    let role = org ? r.weighted(TYPE_ROLES[org.type]) : r.weighted({ professionnel: 3, autre: 2, coordinateur_cpts: 1 });
    if (!roles.has(role)) role = 'autre';
    const region = org ? org.region : r.weighted(regionWeights);
    const regionDeps = regions.find((x) => x.code === region).deps;
    // The départements they cover: their organisation's, a few of the région's, or none
    // (the whole région).
    let departements = [];
    const t = r.random();
    if (org && org.departements.length && t < 0.6) departements = org.departements.slice(0, r.int(1, org.departements.length));
    else if (t < 0.8) departements = r.sample(regionDeps, Math.min(regionDeps.length, r.int(1, 3))).sort();
    const [first, ...rest] = name.split(' ');
    const base = fold(`${first}.${rest.join('-')}`).replace(/ /g, '.');
    let email = '';
    if (r.chance(0.6)) {
      const host = org ? `${org.type}.exemple.fr` : 'exemple.fr';
      email = `${base}@${host}`;
      for (let n = 2; emails.has(email); n += 1) email = `${base}${n}@${host}`;
      emails.add(email);
    }
    const phone = r.chance(0.4) ? `0${r.int(1, 5)} ${String(r.int(0, 99)).padStart(2, '0')} ${String(r.int(0, 99)).padStart(2, '0')} ${String(r.int(0, 99)).padStart(2, '0')} ${String(r.int(0, 99)).padStart(2, '0')}` : '';
    people.push({
      key: `p${i}`, name, org: org ? org.key : null, role, region, departements,
      consent: r.chance(0.92),
      audience: r.weighted({ network: 85, region: 10, organisation: 5 }),
      email, phone, entries: [],
    });
  }

  // Entries: `nEntries` in all, 1 to 9 per person (5 on average), domains by role.
  const counts = people.map(() => 1);
  for (let left = nEntries - people.length; left > 0;) {
    const i = r.int(0, people.length - 1);
    if (counts[i] < Math.min(domains.length, 9)) { counts[i] += 1; left -= 1; }
  }
  const townsNear = (p) => {
    const deps = p.departements.length ? p.departements : regions.find((x) => x.code === p.region).deps;
    const out = deps.flatMap(townsOf);
    return out.length ? out : towns.map(([t]) => t);
  };
  people.forEach((p, i) => {
    const favourite = new Set(ROLE_DOMAINS[p.role] ?? []);
    const chosen = r.sample(domains, counts[i], domains.map((d) => (favourite.has(d) ? 4 : 1)));
    for (const domain of chosen) {
      const level = r.weighted(favourite.has(domain) ? { notions: 20, pratique: 45, referent: 35 } : { notions: 45, pratique: 42, referent: 13 });
      const scope = r.weighted({ local: 60, regional: 30, national: 10 });
      const sentences = r.sample(NOTES[domain], r.int(1, 2));
      if (r.chance(0.45)) {
        sentences.push(r.pick(EXTRA).replace('{town}', r.pick(townsNear(p))).replace('{year}', String(r.int(2019, 2025))).replace('{n}', String(r.int(2, 15))));
      }
      const note = r.chance(0.08) ? '' : sentences.join(' ');
      // Confirmed 0 to 330 days ago, or 400 to 900 (stale, after 12 × 30 days): never near
      // the limit, so that both engines agree whatever the seconds between load and query.
      const daysAgo = r.chance(0.14) ? r.int(400, 900) : r.int(0, 330);
      p.entries.push({ domain, level, scope, note, days_ago: daysAgo, validated: p.org !== null && p.consent && r.chance(0.4) });
    }
  });

  // Needs: a CPTS (a recorded one or one in project), 1 to 3 domains, 1 or 2 départements.
  const cptsOrgs = orgs.filter((o) => o.type === 'cpts');
  const needs = [];
  for (let i = 0; i < nNeeds; i += 1) {
    const recorded = r.chance(0.5) && cptsOrgs.length > 0;
    let cptsName, departements, cptsOrg = null;
    if (recorded) {
      cptsOrg = r.pick(cptsOrgs);
      cptsName = cptsOrg.name;
      departements = cptsOrg.departements.length ? [...cptsOrg.departements] : [r.pick(regions.find((x) => x.code === cptsOrg.region).deps)];
    } else {
      const [town, dep] = r.pick(towns);
      cptsName = `CPTS en projet ${r.pick(['de', 'du Pays de', 'Est de', 'Ouest de'])} ${town}`;
      departements = [dep];
    }
    if (r.chance(0.25)) {
      const reg = regions.find((x) => x.code === regionOfDep.get(departements[0]));
      const other = reg.deps.filter((d) => !departements.includes(d));
      if (other.length) departements.push(r.pick(other));
    }
    const needDomains = r.sample(domains, r.weighted({ 1: 40, 2: 40, 3: 20 }) | 0);
    const title = r.pick(NEED_TITLES[needDomains[0]] ?? ['Besoin d\'appui']);
    const town = townsOf(departements[0])[0];
    const description = `${title} pour la ${cptsName}${town ? ` (secteur de ${town})` : ''}. ${r.pick(NOTES[needDomains[0]])}`;
    needs.push({
      key: `n${i}`, title, description, cpts_org: cptsOrg ? cptsOrg.key : null, cpts_name: cptsName,
      departements: [...new Set(departements)].sort(), domains: needDomains,
      phase: r.chance(0.7) ? r.pick(phases) : '',
      urgency: r.weighted({ normale: 70, prioritaire: 22, urgente: 8 }),
      assign: r.chance(0.3), progress: r.chance(0.4),
    });
  }
  return { orgs, people, needs, depName, regionOfDep };
}

// ---------------------------------------------------------------- queries

/// Directory queries: words and phrases of the notes, accent-free spellings, names, towns,
/// and browsing without words; each crossed with a rotation of filters.
export const DIRECTORY_QUERIES = [
  'télémédecine', 'telemedecine', 'dépistage', 'SNDS', 'diabétiques', 'statuts association', '"soins non programmés"',
  '"projet de santé"', '"santé mentale"', 'vaccination grippe', 'gouvernance', 'FIR', 'MSSanté', 'pédiatrie',
  'Martin', 'Lefebvre', 'Nathalie', 'Sophie Bernard', 'Lille', 'Rennes', 'Bretagne', 'coordinateur',
  '"dialogues de gestion"', 'régulation SAS', 'world café', 'chutes', 'obésité', 'trésorerie', 'CPAM', '',
];

export const DIRECTORY_FILTERS = [
  '',
  '&domain=numerique',
  '&domain=parcours&level=referent',
  '&departement=59',
  '&region=53',
  '&domain=prevention&region=32',
  '&domain=financement&level=pratique&departement=35',
  '&region=11&domain=juridique&level=referent',
];

/// Every directory target: each query crossed with each filter, a page of 20.
export function directoryTargets() {
  const out = [];
  for (const f of DIRECTORY_FILTERS) {
    for (const q of DIRECTORY_QUERIES) out.push(`/api/expertise/people?q=${encodeURIComponent(q)}${f}&limit=20`);
  }
  return out;
}

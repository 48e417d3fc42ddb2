#pragma once
// The catalogue of API errors: a stable code for programs, a French message for
// people, and the HTTP status. Every error the server answers comes from here, so
// that the interface's wording lives in one place.
#include <stdexcept>
#include <string>
#include <string_view>

namespace relais {

struct error_def {
    int status;
    std::string_view code;
    std::string_view message;
};

namespace errors {
inline constexpr error_def bad_request{400, "requete_invalide", "La requête est invalide."};
inline constexpr error_def invalid_json{400, "json_invalide", "Le corps de la requête n'est pas un JSON valide."};
inline constexpr error_def invalid_utf8{400, "utf8_invalide", "Le texte envoyé n'est pas de l'UTF-8 valide."};
inline constexpr error_def invalid_field{400, "champ_invalide", "Un champ est absent ou invalide."};
inline constexpr error_def weak_password{400, "mot_de_passe_faible", "Le mot de passe doit compter entre 10 et 256 caractères."};
inline constexpr error_def path_invalid{400, "chemin_invalide", "Le chemin demandé est invalide."};
inline constexpr error_def not_authenticated{401, "non_authentifie", "Vous devez vous connecter."};
inline constexpr error_def bad_credentials{401, "identifiants_invalides", "Adresse e-mail ou mot de passe incorrect."};
inline constexpr error_def wrong_password{403, "mot_de_passe_incorrect", "Le mot de passe actuel est incorrect."};
inline constexpr error_def forbidden{403, "acces_refuse", "Vous n'avez pas accès à cette ressource."};
inline constexpr error_def origin_refused{403, "origine_refusee", "Origine de la requête non autorisée."};
inline constexpr error_def not_found{404, "introuvable", "La ressource demandée est introuvable."};
inline constexpr error_def method_not_allowed{405, "methode_non_autorisee", "Méthode non autorisée pour cette ressource."};
inline constexpr error_def email_taken{409, "email_deja_utilise", "Cette adresse e-mail est déjà utilisée."};
inline constexpr error_def org_exists{409, "organisation_existe", "Une organisation porte déjà ce nom."};
inline constexpr error_def org_in_use{409, "organisation_utilisee", "Cette organisation a encore des membres."};
inline constexpr error_def last_admin{409, "dernier_admin", "Il doit rester au moins un administrateur actif."};
inline constexpr error_def too_large{413, "trop_volumineux", "La requête est trop volumineuse."};
inline constexpr error_def unsupported_media{415, "type_contenu_invalide", "Le contenu doit être envoyé en JSON (application/json)."};
inline constexpr error_def headers_too_large{431, "entetes_trop_volumineux", "Les en-têtes de la requête sont trop volumineux."};
inline constexpr error_def too_many_attempts{429, "trop_de_tentatives", "Trop de tentatives de connexion. Patientez avant de réessayer."};
inline constexpr error_def rate_limited{429, "trop_de_requetes", "Trop de requêtes. Ralentissez un peu."};
inline constexpr error_def internal{500, "erreur_interne", "Une erreur interne est survenue."};
inline constexpr error_def unavailable{503, "indisponible", "Le service est momentanément indisponible."};
inline constexpr error_def ws_unknown_type{400, "type_inconnu", "Type de message inconnu."};
inline constexpr error_def too_many_sockets{429, "trop_de_connexions", "Trop de connexions ouvertes en même temps : fermez des onglets."};
inline constexpr error_def ws_too_large{413, "message_trop_volumineux", "Le message est trop volumineux."};
// Workshops
inline constexpr error_def unknown_operation{400, "operation_inconnue", "Opération inconnue."};
inline constexpr error_def wrong_phase{409, "hors_phase", "Cette action n'est pas possible dans la phase en cours."};
inline constexpr error_def board_locked{409, "tableau_verrouille", "Le tableau est verrouillé par l'animateur."};
inline constexpr error_def stale_version{409, "version_perimee", "Ce post-it a été modifié entre-temps : voici sa version actuelle."};
inline constexpr error_def no_votes_left{409, "budget_epuise", "Vous avez utilisé tous vos votes pour cette phase."};
inline constexpr error_def workshop_closed{409, "atelier_ferme", "L'atelier est clos."};
inline constexpr error_def not_in_room{409, "pas_dans_l_atelier", "Rejoignez d'abord l'atelier."};
inline constexpr error_def bad_transition{409, "transition_invalide", "Ce changement d'état n'est pas possible."};
inline constexpr error_def invalid_invite{404, "invitation_invalide", "Ce lien d'invitation est invalide, expiré ou révoqué."};
inline constexpr error_def too_many_notes_person{409, "trop_de_notes", "Vous avez atteint le nombre maximal de post-it sur ce tableau (200)."};
inline constexpr error_def board_full{409, "tableau_plein", "Ce tableau a atteint sa capacité maximale."};
inline constexpr error_def ops_rate_limited{429, "trop_d_operations", "Trop d'opérations en peu de temps : patientez quelques secondes."};
inline constexpr error_def room_rate_limited{429, "atelier_sature", "L'atelier reçoit trop d'opérations en ce moment : réessayez dans un instant."};
inline constexpr error_def invite_full{409, "invitation_complete", "Cette invitation a atteint son nombre maximal d'invités : demandez un nouveau lien à l'animateur."};
inline constexpr error_def room_unavailable{503, "atelier_indisponible", "L'atelier est momentanément indisponible. Reconnexion…"};
// Library
inline constexpr error_def query_too_long{400, "recherche_trop_longue", "La recherche est trop longue (500 caractères au plus)."};
inline constexpr error_def query_syntax{400, "recherche_invalide", "La recherche est mal formée : vérifiez les guillemets et les opérateurs ET/OU/SAUF."};
inline constexpr error_def page_out_of_range{400, "page_invalide", "Numéro de page invalide."};
inline constexpr error_def unknown_facet_value{400, "filtre_invalide", "Valeur de filtre inconnue."};
inline constexpr error_def file_too_large{413, "fichier_trop_volumineux", "Le fichier dépasse la taille autorisée."};
inline constexpr error_def file_type{415, "type_fichier_refuse", "Type de fichier non pris en charge : Markdown, texte, PDF, DOCX ou ODT."};
inline constexpr error_def file_mismatch{415, "type_fichier_incoherent", "Le contenu du fichier ne correspond pas à son extension."};
inline constexpr error_def file_corrupt{422, "fichier_illisible", "Le fichier est endommagé ou illisible."};
inline constexpr error_def file_encrypted{422, "fichier_protege", "Le fichier est protégé par un mot de passe ou chiffré."};
inline constexpr error_def file_bomb{422, "archive_suspecte", "Le fichier se décompresse en un volume anormalement grand."};
inline constexpr error_def file_too_complex{422, "fichier_trop_complexe", "Ce fichier est trop complexe à analyser (temps ou mémoire dépassés) : enregistrez-le à nouveau, par exemple en PDF simple, ou envoyez-en une version plus légère."};
inline constexpr error_def file_name_controls{400, "nom_fichier_invalide", "Le nom du fichier contient des caractères de contrôle ou d'inversion de sens d'écriture."};
inline constexpr error_def review_state{409, "moderation_impossible", "Cette fiche n'est pas en attente de relecture."};
inline constexpr error_def unknown_file{400, "fichier_inconnu", "Un fichier joint est introuvable : envoyez-le à nouveau."};
}  // namespace errors

/// An error meant for the client: thrown by services and handlers, turned into the
/// JSON error shape by the HTTP layer.
class api_error : public std::runtime_error {
public:
    explicit api_error(const error_def& def, std::string field = {})
        : std::runtime_error(std::string(def.code)), def_(def), field_(std::move(field)) {}
    /// With a message that says more than the catalogue's (e.g. how long to wait).
    api_error(const error_def& def, std::string field, std::string message)
        : std::runtime_error(std::string(def.code)), def_(def), field_(std::move(field)), message_(std::move(message)) {}

    const error_def& def() const noexcept { return def_; }
    int status() const noexcept { return def_.status; }
    std::string_view code() const noexcept { return def_.code; }
    std::string_view message() const noexcept { return message_.empty() ? def_.message : std::string_view(message_); }
    const std::string& field() const noexcept { return field_; }

private:
    error_def def_;
    std::string field_;
    std::string message_;
};

}  // namespace relais

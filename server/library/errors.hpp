#pragma once
// The library module's errors (search, files, review). The shared ones (common/errors.hpp) are visible
// through this namespace too: errors::not_found works inside relais::library.
#include "common/errors.hpp"

#include <vector>

namespace relais::library::errors {
using namespace relais::errors;
inline constexpr error_def query_too_long{400, "recherche_trop_longue", "La recherche est trop longue (500 caractères au plus)."};
inline constexpr error_def page_out_of_range{400, "page_invalide", "Numéro de page invalide."};
inline constexpr error_def unknown_facet_value{400, "filtre_invalide", "Valeur de filtre inconnue."};
inline constexpr error_def file_too_large{413, "fichier_trop_volumineux", "Le fichier dépasse la taille autorisée."};
inline constexpr error_def file_type{415, "type_fichier_refuse", "Type de fichier non pris en charge : PDF, DOCX, ODT, PPTX, ODP, XLSX, ODS, PNG, JPEG, WebP (non animé), Markdown ou texte."};
inline constexpr error_def file_mismatch{415, "type_fichier_incoherent", "Le contenu du fichier ne correspond pas à son extension."};
inline constexpr error_def file_corrupt{422, "fichier_illisible", "Le fichier est endommagé ou illisible."};
inline constexpr error_def file_encrypted{422, "fichier_protege", "Le fichier est protégé par un mot de passe ou chiffré."};
inline constexpr error_def file_bomb{422, "archive_suspecte", "Fichier refusé par prudence : il se décompresse en un volume anormalement grand ou déclare une DTD."};
inline constexpr error_def file_too_complex{422, "fichier_trop_complexe", "Ce fichier est trop complexe à analyser (temps ou mémoire dépassés) : enregistrez-le à nouveau, par exemple en PDF simple, ou envoyez-en une version plus légère."};
inline constexpr error_def file_name_controls{400, "nom_fichier_invalide", "Le nom du fichier contient des caractères de contrôle ou d'inversion de sens d'écriture."};
inline constexpr error_def review_state{409, "moderation_impossible", "Cette fiche n'est pas en attente de relecture."};
inline constexpr error_def unknown_file{400, "fichier_inconnu", "Un fichier joint est introuvable : envoyez-le à nouveau."};
inline constexpr error_def item_changed{409, "version_perimee", "Cette fiche a été modifiée entre-temps : rechargez-la avant de continuer."};
inline constexpr error_def unattached_quota{429, "quota_fichiers", "Vous avez envoyé beaucoup de fichiers qui ne sont encore joints à aucune fiche : enregistrez votre fiche avec eux (ou attendez un jour : les fichiers jamais joints sont effacés) avant d'en envoyer d'autres."};

inline std::vector<const error_def*> all() { return {&query_too_long, &page_out_of_range, &unknown_facet_value, &file_too_large, &file_type, &file_mismatch, &file_corrupt, &file_encrypted, &file_bomb, &file_too_complex, &file_name_controls, &review_state, &unknown_file, &item_changed, &unattached_quota}; }
}  // namespace relais::library::errors

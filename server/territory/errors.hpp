#pragma once
// The territory module's errors. The shared ones (common/errors.hpp) are visible through
// this namespace too: errors::invalid_field works inside relais::territory.
#include "common/errors.hpp"

#include <vector>

namespace relais::territory::errors {
using namespace relais::errors;
inline constexpr error_def unknown_commune{400, "commune_inconnue", "Une commune demandée est inconnue (code INSEE)."};
inline constexpr error_def split_commune{
    400, "commune_par_arrondissement", "Paris, Lyon et Marseille se choisissent par arrondissement, pas comme une seule commune."};
inline constexpr error_def too_many_communes{400, "trop_de_communes", "Le territoire compte trop de communes."};
inline constexpr error_def empty_territory{400, "territoire_vide", "Choisissez au moins une commune."};
inline constexpr error_def not_cpts{404, "cpts_introuvable", "Cette organisation n'existe pas ou n'est pas une CPTS."};
inline constexpr error_def not_member{
    403, "pas_membre_cpts", "Seuls les membres de cette CPTS, les animateurs et les administrateurs peuvent enregistrer son territoire."};
inline constexpr error_def data_loading{503, "communes_en_chargement",
                                        "Les données des communes sont en cours de chargement : réessayez dans quelques secondes."};
inline constexpr error_def data_missing{503, "communes_indisponibles",
                                        "Les données des communes ne sont pas installées sur ce serveur (voir scripts/install-territory-data.sh)."};

inline std::vector<const error_def*> all() {
    return {&unknown_commune, &split_commune, &too_many_communes, &empty_territory, &not_cpts, &not_member, &data_loading, &data_missing};
}
}  // namespace relais::territory::errors

#pragma once
// The expertise module's errors. The shared ones (common/errors.hpp) are visible through
// this namespace too: errors::not_found works inside relais::expertise.
#include "common/errors.hpp"

#include <vector>

namespace relais::expertise::errors {
using namespace relais::errors;
inline constexpr error_def unknown_domain{400, "domaine_inconnu", "Domaine d'expertise inconnu."};
inline constexpr error_def unknown_territory{400, "territoire_inconnu",
                                             "Territoire inconnu : donnez un code de région ou de département existant."};
inline constexpr error_def person_exists{409, "personne_existante", "Cette personne figure déjà dans la cartographie des expertises."};
inline constexpr error_def not_editor{403, "fiche_non_modifiable",
                                      "Seuls la personne elle-même, les animateurs de son organisation (ou qui l'ont saisie) et les administrateurs peuvent modifier cette fiche."};
inline constexpr error_def not_validator{403, "validation_reservee",
                                         "Seuls un animateur ou un administrateur de l'organisation de cette personne peuvent valider ses expertises."};
inline constexpr error_def not_for_this_cpts{403, "cpts_non_autorisee",
                                             "Vous ne pouvez déclarer un besoin que pour votre CPTS (ou comme animateur)."};
inline constexpr error_def bad_transition{409, "transition_impossible", "Ce besoin ne peut pas passer à cet état depuis son état actuel."};
inline constexpr error_def need_changed{409, "besoin_modifie", "Ce besoin a été modifié entre-temps : rechargez-le avant de continuer."};
inline constexpr error_def domain_exists{409, "domaine_existant", "Un domaine d'expertise porte déjà ce code."};
inline constexpr error_def role_exists{409, "role_existant", "Un rôle porte déjà ce code."};

inline std::vector<const error_def*> all() {
    return {&unknown_domain, &unknown_territory, &person_exists, &not_editor, &not_validator, &not_for_this_cpts, &bad_transition, &need_changed, &domain_exists, &role_exists};
}
}  // namespace relais::expertise::errors

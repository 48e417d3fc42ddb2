#pragma once
// The workshops module's errors (live rooms, invites, workshop states). The shared ones (common/errors.hpp) are visible
// through this namespace too: errors::not_found works inside relais::workshops.
#include "common/errors.hpp"

#include <vector>

namespace relais::workshops::errors {
using namespace relais::errors;
inline constexpr error_def unknown_operation{400, "operation_inconnue", "Opération inconnue."};
inline constexpr error_def wrong_phase{409, "hors_phase", "Cette action n'est pas possible dans la phase en cours."};
inline constexpr error_def board_locked{409, "tableau_verrouille", "Le tableau est verrouillé par l'animateur."};
inline constexpr error_def stale_version{409, "version_perimee", "Cette note a été modifiée entre-temps : voici sa version actuelle."};
inline constexpr error_def no_votes_left{409, "budget_epuise", "Vous avez utilisé tous vos votes pour cette phase."};
inline constexpr error_def workshop_closed{409, "atelier_ferme", "L'atelier est clos."};
inline constexpr error_def not_in_room{409, "pas_dans_l_atelier", "Rejoignez d'abord l'atelier."};
inline constexpr error_def bad_transition{409, "transition_invalide", "Ce changement d'état n'est pas possible."};
inline constexpr error_def invalid_invite{404, "invitation_invalide", "Ce lien d'invitation est invalide, expiré ou révoqué."};
inline constexpr error_def too_many_notes_person{409, "trop_de_notes", "Vous avez atteint le nombre maximal de notes sur ce tableau (200)."};
inline constexpr error_def board_full{409, "tableau_plein", "Ce tableau a atteint sa capacité maximale."};
inline constexpr error_def ops_rate_limited{429, "trop_d_operations", "Trop d'opérations en peu de temps : patientez quelques secondes."};
inline constexpr error_def room_rate_limited{429, "atelier_sature", "L'atelier reçoit trop d'opérations en ce moment : réessayez dans un instant."};
inline constexpr error_def signed_in_account{409, "compte_connecte", "Vous êtes connecté avec votre compte : un lien d'invitation sert aux invités sans compte. Ouvrez l'atelier depuis vos ateliers si vous y êtes inscrit ; sinon demandez à son animateur de vous y ajouter, ou déconnectez-vous pour entrer comme invité."};
inline constexpr error_def invite_full{409, "invitation_complete", "Cette invitation a atteint son nombre maximal d'invités : demandez un nouveau lien à l'animateur."};
inline constexpr error_def invalid_code{404, "code_invalide", "Ce code d'atelier est inconnu, expiré ou révoqué : vérifiez-le auprès de l'animateur."};
inline constexpr error_def report_changed{409, "compte_rendu_modifie", "Le compte rendu a changé entre-temps (enregistré par quelqu'un d'autre ou régénéré) : rechargez-le, vos modifications sont conservées dans l'éditeur."};
inline constexpr error_def plan_changed{409, "plan_modifie", "Le déroulé a été modifié entre-temps (par l'autre animateur ou en direct) : rechargez-le avant d'enregistrer."};
inline constexpr error_def room_unavailable{503, "atelier_indisponible", "L'atelier est momentanément indisponible. Reconnexion…"};

inline std::vector<const error_def*> all() { return {&unknown_operation, &wrong_phase, &board_locked, &stale_version, &no_votes_left, &workshop_closed, &not_in_room, &bad_transition, &invalid_invite, &too_many_notes_person, &board_full, &ops_rate_limited, &room_rate_limited, &invite_full, &signed_in_account, &invalid_code, &report_changed, &plan_changed, &room_unavailable}; }
}  // namespace relais::workshops::errors

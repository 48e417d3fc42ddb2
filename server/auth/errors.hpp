#pragma once
// The auth module's errors (sign-in, passwords, accounts and organisations). The shared ones (common/errors.hpp) are visible
// through this namespace too: errors::not_found works inside relais::auth.
#include "common/errors.hpp"

#include <vector>

namespace relais::auth::errors {
using namespace relais::errors;
inline constexpr error_def weak_password{400, "mot_de_passe_faible", "Le mot de passe doit compter entre 10 et 256 caractères, dont au moins 5 différents, et ne pas être un mot de passe courant : une phrase de quelques mots convient."};
inline constexpr error_def bad_credentials{401, "identifiants_invalides", "Adresse e-mail ou mot de passe incorrect."};
inline constexpr error_def account_inactive{403, "compte_desactive", "Ce compte est désactivé. Pour le réactiver, adressez-vous à un administrateur de Relais."};
inline constexpr error_def wrong_password{403, "mot_de_passe_incorrect", "Le mot de passe actuel est incorrect."};
inline constexpr error_def email_taken{409, "email_deja_utilise", "Cette adresse e-mail est déjà utilisée."};
inline constexpr error_def org_exists{409, "organisation_existe", "Une organisation porte déjà ce nom."};
inline constexpr error_def org_in_use{409, "organisation_utilisee", "Cette organisation est encore utilisée."};
inline constexpr error_def last_admin{409, "dernier_admin", "Il doit rester au moins un administrateur actif."};
inline constexpr error_def too_many_attempts{429, "trop_de_tentatives", "Trop de tentatives de connexion. Patientez avant de réessayer."};

inline std::vector<const error_def*> all() { return {&weak_password, &bad_credentials, &account_inactive, &wrong_password, &email_taken, &org_exists, &org_in_use, &last_admin, &too_many_attempts}; }
}  // namespace relais::auth::errors

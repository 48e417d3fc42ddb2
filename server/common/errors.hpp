#pragma once
// API errors: a stable code for programs, a French message for people, and the HTTP
// status. The errors every module may answer are here; each module declares its own in
// its errors.hpp (namespace relais::MODULE::errors, which also sees these) and lists
// them in its module's errors(), so that `relais errors` and the catalogue test see all.
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
inline constexpr error_def path_invalid{400, "chemin_invalide", "Le chemin demandé est invalide."};
inline constexpr error_def not_authenticated{401, "non_authentifie", "Vous devez vous connecter."};
inline constexpr error_def forbidden{403, "acces_refuse", "Vous n'avez pas accès à cette ressource."};
inline constexpr error_def origin_refused{403, "origine_refusee", "Origine de la requête non autorisée."};
inline constexpr error_def not_found{404, "introuvable", "La ressource demandée est introuvable."};
inline constexpr error_def method_not_allowed{405, "methode_non_autorisee", "Méthode non autorisée pour cette ressource."};
inline constexpr error_def too_large{413, "trop_volumineux", "La requête est trop volumineuse."};
inline constexpr error_def unsupported_media{415, "type_contenu_invalide", "Le contenu doit être envoyé en JSON (application/json)."};
inline constexpr error_def unsupported_upload_media{415, "type_contenu_invalide", "Le fichier doit être envoyé tel quel (application/octet-stream)."};
inline constexpr error_def headers_too_large{431, "entetes_trop_volumineux", "Les en-têtes de la requête sont trop volumineux."};
inline constexpr error_def rate_limited{429, "trop_de_requetes", "Trop de requêtes. Ralentissez un peu."};
inline constexpr error_def internal{500, "erreur_interne", "Une erreur interne est survenue."};
inline constexpr error_def unavailable{503, "indisponible", "Le service est momentanément indisponible."};
inline constexpr error_def ws_unknown_type{400, "type_inconnu", "Type de message inconnu."};
inline constexpr error_def too_many_sockets{429, "trop_de_connexions", "Trop de connexions ouvertes en même temps : fermez des onglets."};
inline constexpr error_def ws_too_large{413, "message_trop_volumineux", "Le message est trop volumineux."};
// The query language of every full-text search (library, expertise map): one code for all.
inline constexpr error_def query_syntax{400, "recherche_invalide", "La recherche est mal formée : vérifiez les guillemets et les opérateurs ET/OU/SAUF."};
}  // namespace errors

/// French typography for a message written with plain ASCII signs (as the catalogues
/// are): the apostrophe ’ for ', a no-break space before « : » and inside « », a narrow
/// no-break space before « ; », « ! » and « ? ». What the interface itself writes.
std::string french_typography(std::string_view text);

/// An error meant for the client: thrown by services and handlers, turned into the
/// JSON error shape by the HTTP layer. Its message is given in French typography.
class api_error : public std::runtime_error {
public:
    explicit api_error(const error_def& def, std::string field = {})
        : std::runtime_error(std::string(def.code)), def_(def), field_(std::move(field)), message_(french_typography(def.message)) {}
    /// With a message that says more than the catalogue's (e.g. how long to wait).
    api_error(const error_def& def, std::string field, std::string message)
        : std::runtime_error(std::string(def.code)), def_(def), field_(std::move(field)),
          message_(french_typography(message.empty() ? def.message : std::string_view(message))) {}

    const error_def& def() const noexcept { return def_; }
    int status() const noexcept { return def_.status; }
    std::string_view code() const noexcept { return def_.code; }
    std::string_view message() const noexcept { return message_; }
    const std::string& field() const noexcept { return field_; }

private:
    error_def def_;
    std::string field_;
    std::string message_;
};

}  // namespace relais

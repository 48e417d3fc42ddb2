#pragma once
// The watch module's errors. The shared ones (common/errors.hpp) are visible through this
// namespace too: errors::not_found works inside relais::watch.
#include "common/errors.hpp"

#include <vector>

namespace relais::watch::errors {
using namespace relais::errors;
inline constexpr error_def field_exists{409, "champ_existant", "Un champ de veille porte déjà ce nom court (slug)."};
inline constexpr error_def source_exists{409, "source_existante", "Cette source est déjà suivie dans ce champ."};
inline constexpr error_def source_unreachable{422, "source_injoignable", "La source n'a pas pu être lue."};
inline constexpr error_def not_a_feed{422, "flux_illisible", "Le contenu n'est pas un flux RSS, Atom ou JSON Feed reconnu."};
inline constexpr error_def several_feeds{422, "plusieurs_flux", "Cette page propose plusieurs flux : choisissez-en un."};
inline constexpr error_def not_owner{403, "pas_responsable", "Seuls les responsables du champ, les animateurs et les administrateurs peuvent faire cela."};
inline constexpr error_def item_changed{409, "veille_modifiee", "Cet élément a été qualifié entre-temps : rechargez-le avant de continuer."};
inline constexpr error_def not_opml{422, "opml_illisible", "Ce fichier n'est pas une liste de flux OPML lisible."};
inline constexpr error_def image_unavailable{502, "image_indisponible", "L'image n'a pas pu être relayée."};
inline constexpr error_def field_archived{409, "champ_archive", "Ce champ de veille est archivé : réactivez-le pour y ajouter des sources ou des éléments."};
inline constexpr error_def busy{503, "veille_occupee", "Trop de sources sont lues en ce moment : réessayez dans une minute."};

inline std::vector<const error_def*> all() {
    return {&field_exists, &source_exists, &source_unreachable, &not_a_feed, &several_feeds, &not_owner, &item_changed, &not_opml, &image_unavailable, &field_archived, &busy};
}
}  // namespace relais::watch::errors

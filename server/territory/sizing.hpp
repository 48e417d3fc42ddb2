#pragma once
// The size of a CPTS (taille 1 to 4, as the ACI defines it by the population covered) and
// the seed funding (soutien à l'amorçage) of seed 002 (ARS Hauts-de-France, 06/08/2024).
//
// The sources say "moins de 40 000", "entre 40 000 et 80 000", "entre 80 000 et 175 000",
// "plus de 175 000" without saying where a boundary falls. Relais decides: each
// boundary opens the larger size (half-open ranges), so 39 999 is taille 1, 40 000 is
// taille 2, 79 999 taille 2, 80 000 taille 3, 174 999 taille 3 and 175 000 taille 4.
// docs/api.md says the same; tests/unit/test_territory.cpp checks each boundary.
#include <array>
#include <cstdint>

namespace relais::territory {

inline constexpr std::array<std::int64_t, 3> size_boundaries{40'000, 80'000, 175'000};  // first population of sizes 2, 3, 4

/// Taille 1..4 of a CPTS covering `population` inhabitants.
constexpr int cpts_size(std::int64_t population) {
    int size = 1;
    for (auto b : size_boundaries)
        if (population >= b) ++size;
    return size;
}

/// Seed funding per year by size (seed 002), of which `coordinator_funding_eur` pays a
/// coordinator at 0.5 FTE; the rest compensates the professionals and covers costs.
inline constexpr std::array<std::int64_t, 4> seed_funding_by_size{34'000, 37'000, 41'000, 44'000};
inline constexpr std::int64_t coordinator_funding_eur = 24'000;

constexpr std::int64_t seed_funding_eur(int size) {
    return size >= 1 && size <= 4 ? seed_funding_by_size[static_cast<std::size_t>(size - 1)] : 0;
}

}  // namespace relais::territory

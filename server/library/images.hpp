#pragma once
// Images (PNG, JPEG, WebP) for attachments and previews: recognised by their magic bytes,
// decoded in full with libpng's simplified API, TurboJPEG and libwebp under a bound on
// their dimensions, and encoded again, so that what is stored holds pixels and nothing
// else (no EXIF, GPS, comments, colour profiles or trailing bytes). Throws api_error
// (file_mismatch, file_corrupt, file_too_large, file_type). Runs in the extraction child.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace relais::library {

enum class image_format { none, png, jpeg, webp };

/// The format the bytes start with (magic bytes only).
image_format sniff_image(std::string_view bytes);

struct image_limits {
    std::uint64_t max_pixels = 40'000'000;  // width × height
    int max_side = 12'000;                   // pixels, either side
};

/// Decoded pixels: 8 bits a channel, 3 (RGB) or 4 (RGBA) channels, rows packed.
struct raster {
    int width = 0, height = 0, channels = 3;
    std::vector<std::uint8_t> pixels;
};

/// Decodes the whole image (JPEG: turned upright by its EXIF orientation).
raster decode_image(image_format f, std::string_view bytes, const image_limits& lim = {});

/// Encodes pixels again in the same format (JPEG and lossy WebP at quality 90; PNG and
/// lossless WebP without loss).
std::string encode_image(image_format f, const raster& r, bool lossless_webp = false);

/// Whether a WebP file is lossless (VP8L); false for anything else.
bool webp_is_lossless(std::string_view bytes);

/// Scales down (area average) to fit within max_width × max_height; never scales up.
raster fit_within(const raster& r, int max_width, int max_height);

/// A PNG of these pixels (libpng's simplified API).
std::string png_encode(const raster& r);

/// The EXIF orientation (1..8) of a JPEG, 1 when absent or unreadable.
int jpeg_exif_orientation(std::string_view bytes);

}  // namespace relais::library

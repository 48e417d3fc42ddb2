#include "library/images.hpp"

#include "library/errors.hpp"

#include <png.h>
#include <turbojpeg.h>
#include <webp/decode.h>
#include <webp/encode.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>

namespace relais::library {
namespace {


void check_dimensions(std::uint64_t w, std::uint64_t h, const image_limits& lim) {
    if (w == 0 || h == 0) throw api_error(errors::file_corrupt);
    if (w > static_cast<std::uint64_t>(lim.max_side) || h > static_cast<std::uint64_t>(lim.max_side) || w * h > lim.max_pixels)
        throw api_error(errors::file_too_large);
}

// ---- PNG ----

struct png_image_guard {
    png_image* img;
    ~png_image_guard() { png_image_free(img); }
};

raster decode_png(std::string_view bytes, const image_limits& lim) {
    png_image img;
    std::memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    png_image_guard guard{&img};
    if (!png_image_begin_read_from_memory(&img, bytes.data(), bytes.size())) throw api_error(errors::file_corrupt);
    check_dimensions(img.width, img.height, lim);
    raster r;
    r.width = static_cast<int>(img.width);
    r.height = static_cast<int>(img.height);
    r.channels = (img.format & PNG_FORMAT_FLAG_ALPHA) ? 4 : 3;
    img.format = r.channels == 4 ? PNG_FORMAT_RGBA : PNG_FORMAT_RGB;
    r.pixels.resize(PNG_IMAGE_SIZE(img));
    if (!png_image_finish_read(&img, nullptr, r.pixels.data(), 0, nullptr)) throw api_error(errors::file_corrupt);
    return r;
}

// ---- JPEG ----

struct tj_closer {
    void operator()(void* h) const { tjDestroy(h); }
};
using tj_ptr = std::unique_ptr<void, tj_closer>;

raster orient(raster src, int orientation) {
    if (orientation < 2 || orientation > 8) return src;
    const int W = src.width, H = src.height, c = src.channels;
    const bool swap = orientation >= 5;
    raster out;
    out.channels = c;
    out.width = swap ? H : W;
    out.height = swap ? W : H;
    out.pixels.resize(src.pixels.size());
    for (int y = 0; y < out.height; ++y)
        for (int x = 0; x < out.width; ++x) {
            int sx = x, sy = y;
            switch (orientation) {
                case 2: sx = W - 1 - x; break;
                case 3: sx = W - 1 - x; sy = H - 1 - y; break;
                case 4: sy = H - 1 - y; break;
                case 5: sx = y; sy = x; break;
                case 6: sx = y; sy = H - 1 - x; break;
                case 7: sx = W - 1 - y; sy = H - 1 - x; break;
                case 8: sx = W - 1 - y; sy = x; break;
                default: break;
            }
            std::memcpy(&out.pixels[(static_cast<std::size_t>(y) * static_cast<std::size_t>(out.width) + static_cast<std::size_t>(x)) * static_cast<std::size_t>(c)],
                        &src.pixels[(static_cast<std::size_t>(sy) * static_cast<std::size_t>(W) + static_cast<std::size_t>(sx)) * static_cast<std::size_t>(c)],
                        static_cast<std::size_t>(c));
        }
    return out;
}

raster decode_jpeg(std::string_view bytes, const image_limits& lim) {
    tj_ptr h(tjInitDecompress());
    if (!h) throw std::bad_alloc();
    int w = 0, ht = 0, subsamp = 0, colorspace = 0;
    auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
    auto size = static_cast<unsigned long>(bytes.size());
    if (tjDecompressHeader3(h.get(), data, size, &w, &ht, &subsamp, &colorspace) != 0) throw api_error(errors::file_corrupt);
    check_dimensions(static_cast<std::uint64_t>(std::max(w, 0)), static_cast<std::uint64_t>(std::max(ht, 0)), lim);
    raster r;
    r.width = w;
    r.height = ht;
    r.channels = 3;
    r.pixels.resize(static_cast<std::size_t>(w) * static_cast<std::size_t>(ht) * 3);
    // A warning (a truncated file, bad data) stops the decode: half an image is refused.
    if (tjDecompress2(h.get(), data, size, r.pixels.data(), w, 0, ht, TJPF_RGB, TJFLAG_STOPONWARNING) != 0)
        throw api_error(errors::file_corrupt);
    return orient(std::move(r), jpeg_exif_orientation(bytes));
}

std::string encode_jpeg(const raster& r) {
    tj_ptr h(tjInitCompress());
    if (!h) throw std::bad_alloc();
    unsigned char* out = nullptr;
    unsigned long out_size = 0;
    int rc = tjCompress2(h.get(), r.pixels.data(), r.width, 0, r.height, r.channels == 4 ? TJPF_RGBA : TJPF_RGB, &out, &out_size,
                         TJSAMP_420, 90, 0);
    std::unique_ptr<unsigned char, decltype(&tjFree)> owned(out, &tjFree);
    if (rc != 0) throw std::runtime_error("jpeg encoding failed");
    return std::string(reinterpret_cast<const char*>(out), out_size);
}

// ---- WebP ----

raster decode_webp(std::string_view bytes, const image_limits& lim) {
    WebPBitstreamFeatures f;
    auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data());
    if (WebPGetFeatures(data, bytes.size(), &f) != VP8_STATUS_OK) throw api_error(errors::file_corrupt);
    if (f.has_animation) throw api_error(errors::file_type);  // an animation is not a picture of a board
    check_dimensions(static_cast<std::uint64_t>(std::max(f.width, 0)), static_cast<std::uint64_t>(std::max(f.height, 0)), lim);
    raster r;
    r.channels = f.has_alpha ? 4 : 3;
    int w = 0, h = 0;
    std::uint8_t* px = r.channels == 4 ? WebPDecodeRGBA(data, bytes.size(), &w, &h) : WebPDecodeRGB(data, bytes.size(), &w, &h);
    if (!px) throw api_error(errors::file_corrupt);
    std::unique_ptr<std::uint8_t, decltype(&WebPFree)> owned(px, &WebPFree);
    r.width = w;
    r.height = h;
    r.pixels.assign(px, px + static_cast<std::size_t>(w) * static_cast<std::size_t>(h) * static_cast<std::size_t>(r.channels));
    return r;
}

std::string encode_webp(const raster& r, bool lossless) {
    std::uint8_t* out = nullptr;
    const int stride = r.width * r.channels;
    std::size_t n = 0;
    if (r.channels == 4)
        n = lossless ? WebPEncodeLosslessRGBA(r.pixels.data(), r.width, r.height, stride, &out)
                     : WebPEncodeRGBA(r.pixels.data(), r.width, r.height, stride, 90, &out);
    else
        n = lossless ? WebPEncodeLosslessRGB(r.pixels.data(), r.width, r.height, stride, &out)
                     : WebPEncodeRGB(r.pixels.data(), r.width, r.height, stride, 90, &out);
    std::unique_ptr<std::uint8_t, decltype(&WebPFree)> owned(out, &WebPFree);
    if (n == 0 || !out) throw std::runtime_error("webp encoding failed");
    return std::string(reinterpret_cast<const char*>(out), n);
}

}  // namespace

image_format sniff_image(std::string_view b) {
    if (b.starts_with("\x89PNG\r\n\x1a\n")) return image_format::png;
    if (b.starts_with("\xFF\xD8\xFF")) return image_format::jpeg;
    if (b.size() >= 12 && b.starts_with("RIFF") && b.substr(8, 4) == "WEBP") return image_format::webp;
    return image_format::none;
}

int jpeg_exif_orientation(std::string_view b) {
    auto u8 = [&](std::size_t i) { return static_cast<unsigned>(static_cast<unsigned char>(b[i])); };
    if (b.size() < 4 || u8(0) != 0xFF || u8(1) != 0xD8) return 1;
    std::size_t i = 2;
    while (i + 4 <= b.size() && u8(i) == 0xFF) {
        unsigned marker = u8(i + 1);
        if (marker == 0xDA || marker == 0xD9) break;  // the image data: no more headers
        std::size_t len = (u8(i + 2) << 8) | u8(i + 3);
        if (len < 2 || i + 2 + len > b.size()) break;
        std::string_view seg = b.substr(i + 4, len - 2);
        if (marker == 0xE1 && seg.starts_with(std::string_view("Exif\0\0", 6))) {
            std::string_view tiff = seg.substr(6);
            if (tiff.size() < 8) return 1;
            const bool little = tiff.starts_with("II");
            if (!little && !tiff.starts_with("MM")) return 1;
            auto t8 = [&](std::size_t k) { return static_cast<unsigned>(static_cast<unsigned char>(tiff[k])); };
            auto u16 = [&](std::size_t k) -> unsigned { return little ? t8(k) | (t8(k + 1) << 8) : (t8(k) << 8) | t8(k + 1); };
            auto u32 = [&](std::size_t k) -> std::size_t {
                return little ? t8(k) | (t8(k + 1) << 8) | (t8(k + 2) << 16) | (static_cast<std::size_t>(t8(k + 3)) << 24)
                              : (static_cast<std::size_t>(t8(k)) << 24) | (t8(k + 1) << 16) | (t8(k + 2) << 8) | t8(k + 3);
            };
            std::size_t ifd = u32(4);
            if (ifd + 2 > tiff.size()) return 1;
            unsigned count = u16(ifd);
            for (unsigned e = 0; e < count; ++e) {
                std::size_t at = ifd + 2 + static_cast<std::size_t>(e) * 12;
                if (at + 12 > tiff.size()) return 1;
                if (u16(at) == 0x0112) {
                    unsigned v = u16(at + 8);
                    return v >= 1 && v <= 8 ? static_cast<int>(v) : 1;
                }
            }
            return 1;
        }
        i += 2 + len;
    }
    return 1;
}

raster decode_image(image_format f, std::string_view bytes, const image_limits& lim) {
    switch (f) {
        case image_format::png: return decode_png(bytes, lim);
        case image_format::jpeg: return decode_jpeg(bytes, lim);
        case image_format::webp: return decode_webp(bytes, lim);
        case image_format::none: break;
    }
    throw api_error(errors::file_mismatch);
}

bool webp_is_lossless(std::string_view bytes) {
    WebPBitstreamFeatures f;
    return WebPGetFeatures(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), &f) == VP8_STATUS_OK && f.format == 2;
}

std::string encode_image(image_format f, const raster& r, bool lossless_webp) {
    switch (f) {
        case image_format::png: return png_encode(r);
        case image_format::jpeg: return encode_jpeg(r);
        case image_format::webp: return encode_webp(r, lossless_webp);
        case image_format::none: break;
    }
    throw std::invalid_argument("no image format");
}

std::string png_encode(const raster& r) {
    png_image img;
    std::memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    img.width = static_cast<png_uint_32>(r.width);
    img.height = static_cast<png_uint_32>(r.height);
    img.format = r.channels == 4 ? PNG_FORMAT_RGBA : PNG_FORMAT_RGB;
    png_alloc_size_t size = 0;
    if (!png_image_write_to_memory(&img, nullptr, &size, 0, r.pixels.data(), 0, nullptr)) throw std::runtime_error("png sizing failed");
    std::string out(size, '\0');
    if (!png_image_write_to_memory(&img, out.data(), &size, 0, r.pixels.data(), 0, nullptr)) throw std::runtime_error("png encoding failed");
    out.resize(size);
    return out;
}

raster fit_within(const raster& r, int max_width, int max_height) {
    if (r.width <= max_width && r.height <= max_height) return r;
    const double scale = std::min(static_cast<double>(max_width) / r.width, static_cast<double>(max_height) / r.height);
    raster out;
    out.channels = r.channels;
    out.width = std::clamp(static_cast<int>(std::lround(r.width * scale)), 1, max_width);
    out.height = std::clamp(static_cast<int>(std::lround(r.height * scale)), 1, max_height);
    out.pixels.resize(static_cast<std::size_t>(out.width) * static_cast<std::size_t>(out.height) * static_cast<std::size_t>(r.channels));
    const auto c = static_cast<std::size_t>(r.channels);
    // Each target pixel averages the source pixels its area covers.
    for (int y = 0; y < out.height; ++y) {
        int y0 = static_cast<int>(static_cast<long long>(y) * r.height / out.height);
        int y1 = std::max(y0 + 1, static_cast<int>(static_cast<long long>(y + 1) * r.height / out.height));
        for (int x = 0; x < out.width; ++x) {
            int x0 = static_cast<int>(static_cast<long long>(x) * r.width / out.width);
            int x1 = std::max(x0 + 1, static_cast<int>(static_cast<long long>(x + 1) * r.width / out.width));
            unsigned long sum[4] = {0, 0, 0, 0};
            for (int sy = y0; sy < y1; ++sy) {
                const auto* row = &r.pixels[(static_cast<std::size_t>(sy) * static_cast<std::size_t>(r.width) + static_cast<std::size_t>(x0)) * c];
                for (int sx = x0; sx < x1; ++sx, row += c)
                    for (std::size_t k = 0; k < c; ++k) sum[k] += row[k];
            }
            const auto n = static_cast<unsigned long>(y1 - y0) * static_cast<unsigned long>(x1 - x0);
            auto* dst = &out.pixels[(static_cast<std::size_t>(y) * static_cast<std::size_t>(out.width) + static_cast<std::size_t>(x)) * c];
            for (std::size_t k = 0; k < c; ++k) dst[k] = static_cast<std::uint8_t>(sum[k] / n);
        }
    }
    return out;
}

}  // namespace relais::library

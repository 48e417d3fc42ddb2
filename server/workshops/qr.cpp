#include "workshops/qr.hpp"

#include "common/markup.hpp"

#include <qrencode.h>

#include <memory>
#include <stdexcept>

namespace relais::workshops {
namespace {

struct qr_free {
    void operator()(QRcode* q) const { QRcode_free(q); }
};

}  // namespace

std::string qr_svg(const std::string& text, const std::string& label) {
    std::unique_ptr<QRcode, qr_free> q(QRcode_encodeString8bit(text.c_str(), 0, QR_ECLEVEL_M));
    if (!q) throw std::runtime_error("qr: cannot encode");
    const int n = q->width, quiet = 4, size = n + 2 * quiet;
    std::string path;
    // One horizontal run of dark modules per path segment.
    for (int y = 0; y < n; ++y) {
        for (int x = 0; x < n;) {
            if (!(q->data[y * n + x] & 1)) {
                ++x;
                continue;
            }
            int start = x;
            while (x < n && (q->data[y * n + x] & 1)) ++x;
            path += "M" + std::to_string(start + quiet) + " " + std::to_string(y + quiet) + "h" + std::to_string(x - start) + "v1h-" +
                    std::to_string(x - start) + "z";
        }
    }
    std::string s = std::to_string(size);
    return "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + s + " " + s + "\" width=\"" + std::to_string(size * 8) +
           "\" height=\"" + std::to_string(size * 8) + "\" shape-rendering=\"crispEdges\" role=\"img\" aria-label=\"" + escape_html(label) +
           "\"><title>" + escape_html(label) + "</title><rect width=\"" + s + "\" height=\"" + s + "\" fill=\"#fff\"/><path fill=\"#000\" d=\"" +
           path + "\"/></svg>\n";
}

}  // namespace relais::workshops

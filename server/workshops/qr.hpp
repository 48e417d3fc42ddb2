#pragma once
// QR codes for invite links (libqrencode), drawn as SVG.
#include <string>

namespace relais::workshops {

/// An SVG image of `text` as a QR code (error correction M, 4-module quiet zone), with
/// `label` as its accessible name. Throws std::runtime_error when the text does not fit.
std::string qr_svg(const std::string& text, const std::string& label);

}  // namespace relais::workshops

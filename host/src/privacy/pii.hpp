#pragma once

// Personal data a client may write — e-mail addresses, phone numbers, payment card numbers
// (Luhn-checked), IBANs (mod-97-checked) — replaced by a placeholder ("[email]", "[phone]",
// "[card]", "[iban]") wherever text leaves for an operator's eyes: every log line goes
// through it (log/log.cpp), and audit records will. Never applied to what the client or
// the salon see.

#include <string>
#include <string_view>

namespace sloth::privacy {

std::string MaskPii(std::string_view text);

// Luhn checksum over the digits of `digits` (other characters ignored).
bool LuhnValid(std::string_view digits);
// ISO 13616 check: letters to numbers, the first four characters moved to the end, mod 97.
bool IbanValid(std::string_view iban);

}  // namespace sloth::privacy

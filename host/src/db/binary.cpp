#include "db/binary.hpp"

#include <endian.h>

#include <bit>
#include <cstring>

#include "db/connection.hpp"

namespace sloth::db::binary {
namespace {

std::uint32_t Be32(const char* p) {
  std::uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return be32toh(v);
}

constexpr std::uint32_t kFloat4Oid = 700;  // pg_type.oid of real

}  // namespace

std::int64_t Int8(std::string_view value) {
  if (value.size() != 8)
    throw Error("a binary bigint of " + std::to_string(value.size()) + " bytes", "");
  std::uint64_t v;
  std::memcpy(&v, value.data(), sizeof v);
  return static_cast<std::int64_t>(be64toh(v));
}

bool Float4Array(std::string_view value, std::vector<float>& out) {
  out.clear();
  // Header: dimensions, has-NULLs flag, element type; then per dimension its length and
  // lower bound; then per element its length (4) and its bytes.
  if (value.size() < 12) return false;
  const char* p = value.data();
  const std::uint32_t ndim = Be32(p), has_nulls = Be32(p + 4), type = Be32(p + 8);
  if (ndim == 0) return value.size() == 12 && type == kFloat4Oid;
  if (ndim != 1 || has_nulls != 0 || type != kFloat4Oid || value.size() < 20) return false;
  const std::uint32_t n = Be32(p + 12);
  if (value.size() != 20 + std::size_t{n} * 8) return false;
  out.resize(n);
  p += 20;
  for (std::uint32_t i = 0; i < n; ++i, p += 8) {
    if (Be32(p) != 4) return false;
    out[i] = std::bit_cast<float>(Be32(p + 4));
  }
  return true;
}

}  // namespace sloth::db::binary

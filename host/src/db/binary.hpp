#pragma once

// Values of a result in PostgreSQL's binary format (Connection/Transaction::ExecBinary): the
// send functions' layouts, in network byte order. Each reader refuses what is not that layout
// instead of reading past it.

#include <cstdint>
#include <string_view>
#include <vector>

namespace sloth::db::binary {

// bigint (int8send). Throws db::Error for a value that is not 8 bytes.
std::int64_t Int8(std::string_view value);

// A one-dimensional real[] without NULLs (array_send of float4) into `out`; false for any
// other array (NULLs, other element types, more dimensions, a truncated value).
bool Float4Array(std::string_view value, std::vector<float>& out);

}  // namespace sloth::db::binary

#pragma once

// A statement together with the reading of its result. Repositories hand these out so that a
// caller can send several independent ones in one round trip (Transaction::Together) while
// the SQL and the reading of its rows stay in the repository; the repository's own
// one-statement methods run the same Query (Transaction::Exec(Query)).

#include <functional>
#include <string_view>
#include <utility>

#include "db/connection.hpp"

namespace sloth::db {

template <typename T>
struct Query {
  Statement statement;
  std::function<T(const Result&)> read;
};

template <typename T, typename Read, typename... Args>
Query<T> MakeQuery(Read&& read, std::string_view sql, const Args&... args) {
  return Query<T>{Statement{std::string(sql), {Param(args)...}},
                  std::function<T(const Result&)>(std::forward<Read>(read))};
}

}  // namespace sloth::db

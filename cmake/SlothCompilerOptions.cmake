# Warnings and sanitizers apply to every target of the build, plugins included, so a
# plugin compiled in-tree is held to the same bar as the host.
add_compile_options(-Wall -Wextra -Wpedantic -Wshadow -Wcast-align -Wformat=2)
add_compile_options(
  "$<$<COMPILE_LANGUAGE:CXX>:-Wnon-virtual-dtor;-Wold-style-cast;-Woverloaded-virtual>")
if(SLOTH_WERROR)
  add_compile_options(-Werror)
endif()
if(SLOTH_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

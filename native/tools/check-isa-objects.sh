#!/usr/bin/env bash
# ctest isa_objects_define_no_weak_symbols: NM OBJECTS (':'-separated object files).
# An object built with ISA flags (*_avx2, *_vnni, *_avxvnni, *_avx512) must define no weak or unique
# symbol (an inline function, a template instance, a std:: container's method): the linker
# keeps one copy of each across the library, and when it keeps this object's, plain code
# runs instructions the CPU may lack. Entry points are strong symbols and pass.
set -euo pipefail
nm_tool=$1
IFS=: read -r -a objects <<< "$2"
checked=0 bad=0
for obj in "${objects[@]}"; do
  case "$obj" in *_avx2.cpp.o | *_vnni.cpp.o | *_avxvnni.cpp.o | *_avx512.cpp.o | *_avx2.cpp.obj | *_vnni.cpp.obj | *_avxvnni.cpp.obj | *_avx512.cpp.obj) ;; *) continue ;; esac
  checked=$((checked + 1))
  weak=$("$nm_tool" -C --defined-only "$obj" | awk '$2 ~ /^[WVu]$/' || true)
  if [[ -n "$weak" ]]; then
    bad=1
    echo "$(basename "$obj") defines weak symbols:"
    echo "$weak" | sed 's/^/  /'
  fi
done
if [[ $checked -eq 0 ]]; then
  echo "no ISA objects among the $((${#objects[@]})) given"
  exit 1
fi
echo "$checked ISA objects checked"
exit $bad

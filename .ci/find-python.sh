#!/usr/bin/env bash
# Print the path of a working interpreter for Python $1 (e.g. 3.10), or fail.
set -u
version=$1
root=${PYENV_ROOT:-$HOME/.pyenv}
for candidate in "python$version" "$root"/versions/"$version".*/bin/"python$version" \
                 "/usr/bin/python$version" "/usr/local/bin/python$version"; do
    # a pyenv shim exists for every installed version but runs only the selected ones: try it
    if path=$(command -v "$candidate" 2>/dev/null) && "$path" -c 'import sys' 2>/dev/null; then
        "$path" -c 'import sys; print(sys.executable)'
        exit 0
    fi
done
echo "Python $version not found (looked on PATH and in $root/versions)" >&2
exit 1

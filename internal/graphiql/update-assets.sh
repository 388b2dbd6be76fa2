#!/bin/sh
# update-assets.sh vendors GraphiQL and the React it runs on into assets/,
# from the npm registry, at the pinned versions below. To upgrade, change the
# versions, run the script, check the page in a browser, and commit assets/.
#
# GraphiQL 4.x is the newest major with a UMD build (graphiql.min.js) that
# runs from plain <script> tags; GraphiQL 5 is ESM-only on Monaco and needs a
# bundler. That build expects React 18 as the globals React and ReactDOM, and
# React 18 is the last release with UMD builds.
#
# Requires npm and node. Vendored files are copied byte for byte; VERSIONS
# records each tarball's npm integrity so a copy can be checked against the
# registry.
set -eu

GRAPHIQL_VERSION=4.1.2
REACT_VERSION=18.3.1

cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# pack NAME VERSION: download NAME@VERSION into $tmp/NAME and append its line
# to $tmp/VERSIONS.
pack() {
	(cd "$tmp" && npm pack --silent --json "$1@$2" >"$1.json")
	file=$(node -e 'process.stdout.write(require(process.argv[1])[0].filename)' "$tmp/$1.json")
	integrity=$(node -e 'process.stdout.write(require(process.argv[1])[0].integrity)' "$tmp/$1.json")
	mkdir "$tmp/$1"
	tar -xzf "$tmp/$file" -C "$tmp/$1" --strip-components=1
	echo "$1 $2 $integrity" >>"$tmp/VERSIONS"
}

# put PACKAGE FILE...: copy files of an unpacked package into assets/PACKAGE.
put() {
	pkg=$1
	shift
	mkdir -p "assets/$pkg"
	for f in "$@"; do
		test -f "$tmp/$pkg/$f" || { echo "update-assets: $pkg has no $f" >&2; exit 1; }
		cp "$tmp/$pkg/$f" "assets/$pkg/"
	done
}

{
	echo "# Vendored by update-assets.sh from the npm registry; do not edit."
	echo "# package version integrity"
} >"$tmp/VERSIONS"
pack graphiql "$GRAPHIQL_VERSION"
pack react "$REACT_VERSION"
pack react-dom "$REACT_VERSION"

rm -rf assets/graphiql assets/react assets/react-dom
put graphiql LICENSE graphiql.min.js graphiql.min.css
put react LICENSE umd/react.production.min.js
put react-dom LICENSE umd/react-dom.production.min.js
cp "$tmp/VERSIONS" assets/VERSIONS

du -ab assets/graphiql assets/react assets/react-dom assets/VERSIONS

package graphiql

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync"
)

//go:embed assets
var embedded embed.FS

// assetFS holds the files Assets serves, rooted at the assets directory.
var assetFS = func() fs.FS {
	sub, err := fs.Sub(embedded, "assets")
	if err != nil {
		panic(err)
	}
	return sub
}()

// assetVersion returns a short hash of every embedded asset, names and
// contents. It is the first segment of each asset URL, so a binary with
// different assets uses different URLs and no cached copy goes stale.
var assetVersion = sync.OnceValue(func() string {
	var names []string
	err := fs.WalkDir(assetFS, ".", func(name string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, name)
		}
		return err
	})
	if err != nil {
		panic(err)
	}
	slices.Sort(names)
	h := sha256.New()
	for _, name := range names {
		b, err := fs.ReadFile(assetFS, name)
		if err != nil {
			panic(err)
		}
		h.Write([]byte(name))
		h.Write([]byte{0})
		h.Write(b)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
})

// assetURL returns the URL of the named asset under the prefix assetsPath,
// which ends in a slash.
func assetURL(assetsPath, name string) string {
	return assetsPath + assetVersion() + "/" + name
}

// contentTypes maps the extensions of the embedded files to their media
// types. They are fixed here rather than taken from the mime package, which
// consults the host's mime.types.
var contentTypes = map[string]string{
	".js":  "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8",
}

// Assets returns a handler that serves the scripts, style sheets and
// licenses the page of [Handler] loads, and the VERSIONS file naming
// their upstream versions. It expects request paths of the form
// VERSION/NAME, as the page writes them, so mount it at
// [Options.AssetsPath] with that prefix removed by [http.StripPrefix].
//
// When VERSION matches the embedded assets, responses may be cached for a
// year without revalidation; the URLs change whenever the assets do. Other
// versions (a page rendered by a different build, during a rolling upgrade)
// get the current file with revalidation required. Directories and unknown
// files are not found.
func Assets() http.Handler {
	files := http.FileServerFS(assetFS)
	version := assetVersion()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
			return
		}
		v, name, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		if info, err := fs.Stat(assetFS, name); v == "" || err != nil || info.IsDir() {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		if v == version {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			h.Set("Cache-Control", "no-cache")
		}
		ctype, ok := contentTypes[path.Ext(name)]
		if !ok {
			ctype = "text/plain; charset=utf-8"
		}
		h.Set("Content-Type", ctype)
		h.Set("ETag", `"`+version+`"`)
		h.Set("X-Content-Type-Options", "nosniff")

		r2 := new(http.Request)
		*r2 = *r
		r2.URL = new(url.URL)
		*r2.URL = *r.URL
		r2.URL.Path = "/" + name
		r2.URL.RawPath = ""
		files.ServeHTTP(w, r2)
	})
}

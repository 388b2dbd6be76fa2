package loader

import (
	"github.com/fsnotify/fsnotify"
)

// dirWatcher watches a tenants directory and each tenant directory in it.
// Watching directories rather than files catches files replaced by rename,
// as editors and Kubernetes ConfigMap volumes do.
type dirWatcher struct {
	root    string
	w       *fsnotify.Watcher
	watched map[string]bool
}

func newDirWatcher(root string) (*dirWatcher, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	d := &dirWatcher{root: root, w: w, watched: make(map[string]bool)}
	if err := w.Add(root); err != nil {
		w.Close()
		return nil, err
	}
	if err := d.Sync(); err != nil {
		w.Close()
		return nil, err
	}
	return d, nil
}

// Sync watches tenant directories that appeared since the last Sync and
// forgets those that are gone.
func (d *dirWatcher) Sync() error {
	dirs, err := tenantDirs(d.root)
	if err != nil {
		return err
	}
	seen := make(map[string]bool, len(dirs))
	for _, dir := range dirs {
		seen[dir] = true
		if !d.watched[dir] {
			if err := d.w.Add(dir); err != nil {
				return err
			}
			d.watched[dir] = true
		}
	}
	for dir := range d.watched {
		if !seen[dir] {
			d.w.Remove(dir) // fails harmlessly when the directory is gone
			delete(d.watched, dir)
		}
	}
	return nil
}

func (d *dirWatcher) Events() <-chan fsnotify.Event { return d.w.Events }
func (d *dirWatcher) Errors() <-chan error          { return d.w.Errors }
func (d *dirWatcher) Close() error                  { return d.w.Close() }

package loader

// HoldCompileSlots takes every compile slot of r, as a burst of compiles
// would, until release is called.
func (r *Registry) HoldCompileSlots() (release func()) {
	for range cap(r.compiling) {
		r.compiling <- struct{}{}
	}
	return func() {
		for range cap(r.compiling) {
			<-r.compiling
		}
	}
}

package core

// useAdamAsm reports whether adamAsm is available; without assembly it
// never is.
const useAdamAsm = false

func adamAsm(w, g, m, v []float32, a *adamArgs) uint32 { panic("core: no assembly Adam kernel") }

package guard

import "unsafe"

const sizeofSet = unsafe.Sizeof(set{})

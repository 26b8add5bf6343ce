package core_test

import (
	"fmt"
	"log"

	"github.com/dltune/dltune/core"
)

// Load an MNIST-style pair of IDX files, plain or gzip-compressed.
func ExampleLoadIDX() {
	d, err := core.LoadIDX("testdata/idx/images-idx3-ubyte.gz", "testdata/idx/labels-idx1-ubyte.gz", core.IDXOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d images of %d pixels, %d classes\n", d.Len(), d.X.Cols, d.Classes)
	// Output:
	// 5 images of 6 pixels, 4 classes
}

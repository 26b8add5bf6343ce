package core_test

import (
	"fmt"
	"log"
	"strings"

	"github.com/dltune/dltune/core"
)

// Read a CSV table, hold out a validation part and standardize both with
// statistics from the training part only.
func ExampleReadCSV() {
	const table = `petal_length,petal_width,species
1.4,0.2,setosa
1.3,0.2,setosa
1.5,0.2,setosa
1.4,0.3,setosa
4.7,1.4,versicolor
4.5,1.5,versicolor
4.9,1.5,versicolor
4.0,1.3,versicolor
`
	d, err := core.ReadCSV(strings.NewReader(table), "iris.csv", core.CSVOptions{Target: "species", Task: core.Classification})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(d.Len(), "samples of", d.Features, "in classes", d.Labels)

	train, val, err := core.Split(d, 0.25, 1)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(train.Len(), "to train,", val.Len(), "to validate")

	if _, err := core.Normalize(core.NormalizeStandardize, train, val); err != nil {
		log.Fatal(err)
	}
	// Output:
	// 8 samples of [petal_length petal_width] in classes [setosa versicolor]
	// 6 to train, 2 to validate
}

// Errors name the source, the line and the column.
func ExampleReadCSV_error() {
	const table = "x,y\n1,2\n3,four\n"
	_, err := core.ReadCSV(strings.NewReader(table), "data.csv", core.CSVOptions{Target: "y", Task: core.Regression})
	fmt.Println(err)
	// Output:
	// read data.csv: line 3, column "y" (field 2): "four" is not a number
}

// Fit a normalizer on training data and apply it to new data later.
func ExampleFitNormalizer() {
	train := &core.Dataset{
		X:    &core.Tensor{Rows: 2, Cols: 1, Data: []float32{10, 20}},
		Y:    core.NewTensor(2, 1),
		Task: core.Regression,
	}
	nz, err := core.FitNormalizer(core.NormalizeScale, train)
	if err != nil {
		log.Fatal(err)
	}
	x := &core.Tensor{Rows: 3, Cols: 1, Data: []float32{15, 10, 30}}
	if err := nz.Apply(x); err != nil {
		log.Fatal(err)
	}
	fmt.Println(x.Data)
	// Output:
	// [0.5 0 2]
}

// Command predict shows how a Go program embeds a model that dltune
// tuned: it loads a model file written by dltune export or dltune refit and
// prints a prediction for each row of features read from standard input,
// one sample per line, features separated by commas, raw as in the
// training data (the model normalizes them).
//
//	dltune export --best -o model.dltm
//	echo 0.5,-1.2 | go run ./examples/predict model.dltm
//
// A classifier prints the class (its label, when the data named classes)
// and its probability; a regression model prints its outputs.
package main

import (
	"bufio"
	"fmt"
	"io"
	"log"
	"os"
	"strconv"
	"strings"

	"github.com/dltune/dltune/core"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("predict: ")
	if len(os.Args) != 2 {
		log.Fatal("usage: predict MODEL.dltm < features.csv")
	}
	if err := run(os.Args[1], os.Stdin, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(path string, in io.Reader, out io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	m, err := core.LoadModel(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	x := &core.Tensor{Rows: 1, Cols: m.Inputs(), Data: make([]float32, m.Inputs())}
	sc := bufio.NewScanner(in)
	for line := 1; sc.Scan(); line++ {
		fields := strings.Split(sc.Text(), ",")
		if len(fields) != m.Inputs() {
			return fmt.Errorf("line %d: %d features, the model takes %d", line, len(fields), m.Inputs())
		}
		for j, s := range fields {
			v, err := strconv.ParseFloat(strings.TrimSpace(s), 32)
			if err != nil {
				return fmt.Errorf("line %d, feature %d: %w", line, j+1, err)
			}
			x.Data[j] = float32(v)
		}
		p, err := m.Predict(x)
		if err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		if m.Task() != core.Classification || m.Outputs() == 1 {
			fmt.Fprintln(out, strings.Trim(fmt.Sprint(p.Data), "[]"))
			continue
		}
		best := 0
		for c, v := range p.Data {
			if v > p.Data[best] {
				best = c
			}
		}
		label := strconv.Itoa(best)
		if l := m.Labels(); l != nil {
			label = l[best]
		}
		fmt.Fprintf(out, "%s %.4f\n", label, p.Data[best])
	}
	return sc.Err()
}

package studyfile_test

import (
	"errors"
	"fmt"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/studyfile"
)

// Parse a study file and resolve the training configuration of one trial.
func ExampleSpec_Resolve() {
	src := []byte(`name: demo
data: {kind: synthetic, synthetic: {generator: spirals, samples: 600}}
model: {hidden: {depth: $depth, width: $width}, activation: $act}
train: {epochs: 20, batch_size: 32, learning_rate: $lr}
space:
  lr:    {float: [1e-3, 1e-1], log: true}
  width: {int: [8, 64]}
  depth: {int: [1, 3]}
  act:   {choice: [relu, tanh]}
search: {strategy: random, trials: 10, parallel: 2}
`)
	spec, err := studyfile.Parse("demo.yaml", src)
	if err != nil {
		fmt.Println(err)
		return
	}
	p := dltune.Params{"lr": dltune.Float(0.01), "width": dltune.Int(32), "depth": dltune.Int(2), "act": dltune.String("tanh")}
	c, err := spec.Resolve(p, 42)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Model.Hidden, c.Model.Activation, c.Optimizer.Name, c.Optimizer.LearningRate, c.Train.Epochs, c.Train.BatchSize, c.Train.Seed)
	// Output: [32 32] tanh adam 0.01 20 32 42
}

// Every problem in a study file is reported, each with its line and field.
func ExampleParse_errors() {
	src := []byte(`name: demo
data: {kind: synthetic, synthetic: {generator: spirals, samples: 600}}
model: {hidden: [$width], activation: $act}
train: {epochs: 0, batch_size: 32, learning_rate: $lr}
space:
  lr:    {float: [0.1, 0.001], log: true}
  width: {int: [8, 64]}
search: {strategy: randm, trials: 10}
`)
	_, err := studyfile.Parse("demo.yaml", src)
	var errs studyfile.ErrorList
	if errors.As(err, &errs) {
		for _, e := range errs {
			fmt.Println(e)
		}
	}
	// Output:
	// demo.yaml:3:39: model.activation: $act: no parameter "act" in space
	// demo.yaml:4:17: train.epochs: 0 is out of range: must be in [1, 100000]
	// demo.yaml:6:18: space.lr.float: low 0.1 > high 0.001
	// demo.yaml:8:20: search.strategy: unknown strategy "randm" (did you mean "random"?); want grid, random, bayesian, successive-halving, asha or hyperband
}

package search_test

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/dltune/dltune"
	"github.com/dltune/dltune/search"
)

func ExampleSpace_Validate() {
	s := &search.Space{Params: []search.Param{
		{Name: "lr", Type: search.FloatRange, Low: 0, High: 0.1, Log: true},
	}}
	err := s.Validate()
	var pe *search.ParamError
	if errors.As(err, &pe) {
		fmt.Println(pe.Param, pe.Field)
	}
	fmt.Println(err)
	// Output:
	// lr low
	// param "lr": low: a log range must be positive, got low 0
}

func ExampleSpace_Sample() {
	s := &search.Space{Params: []search.Param{
		{Name: "opt", Type: search.Choice, Choices: []dltune.Value{dltune.String("sgd"), dltune.String("adam")}},
		{Name: "momentum", Type: search.FloatRange, Low: 0.5, High: 0.99,
			When: &search.Condition{Param: "opt", Values: []dltune.Value{dltune.String("sgd")}}},
		{Name: "layers", Type: search.IntRange, Low: 1, High: 4},
	}}
	r := rand.New(rand.NewPCG(1, 0))
	for range 3 {
		p := s.Sample(r)
		fmt.Println(p.Key(), s.Contains(p))
	}
	// Output:
	// "layers"=3,"opt"="adam" <nil>
	// "layers"=1,"momentum"=0.7398369419926947,"opt"="sgd" <nil>
	// "layers"=1,"momentum"=0.5565431957638473,"opt"="sgd" <nil>
}

func ExampleSpace_Grid() {
	s := &search.Space{Params: []search.Param{
		{Name: "lr", Type: search.FloatRange, Low: 1e-3, High: 1e-1, Log: true},
		{Name: "batch", Type: search.IntRange, Low: 32, High: 64, Step: 32},
	}}
	g, err := s.Grid(3)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range g {
		fmt.Println(p.Key())
	}
	// Output:
	// "batch"=32,"lr"=0.001
	// "batch"=64,"lr"=0.001
	// "batch"=32,"lr"=0.01
	// "batch"=64,"lr"=0.01
	// "batch"=32,"lr"=0.1
	// "batch"=64,"lr"=0.1
}

package core

import "strings"

// The names a configuration accepts, in the order error messages list
// them. Each call returns a new slice: the core's own tables stay
// unchanged. A study-file parser checks names against these lists, so a
// name added to the core is accepted there too.

// Activations returns the names MLPConfig.Activation accepts.
func Activations() []string { return append([]string(nil), actNames[actReLU:]...) }

// Initializers returns the names MLPConfig.Init accepts.
func Initializers() []string { return append([]string(nil), initNames[initGlorotUniform:]...) }

// Optimizers returns the names OptimizerConfig.Name accepts.
func Optimizers() []string { return append([]string(nil), optNames[optSGD:]...) }

// Losses returns the names TrainConfig.Loss accepts.
func Losses() []string { return append([]string(nil), lossNames[lossSoftmaxCE:]...) }

// Schedules returns the names ScheduleConfig.Kind accepts.
func Schedules() []string { return append([]string(nil), schedNames[schedConstant:]...) }

// oneOf formats names for a message: "a, b or c".
func oneOf(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

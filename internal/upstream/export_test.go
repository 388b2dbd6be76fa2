package upstream

// AttemptsRunning is attemptsRunning, for the package's external tests.
var AttemptsRunning = attemptsRunning

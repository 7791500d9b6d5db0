package main

// consoleRoutes serve the web console.
func (a *app) consoleRoutes() []route { return nil }

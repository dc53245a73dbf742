"""The adoption worker: consumes AdoptionRequested events and decides them through the monolith."""

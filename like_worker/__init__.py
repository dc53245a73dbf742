"""The like worker: consumes LikeRequested events and has the monolith count them."""

"""HTTP only: dependencies, security, problem+json answers, streamed uploads and the routes."""

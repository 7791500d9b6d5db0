// Package repair places source fields on the canonical ontology and keeps
// those mappings right: a classical field matcher with an optional LLM
// advisor, a versioned mapping registry, and a repairer that mends a
// mapping after schema drift on its own when it is sure and queues a
// review for a person when it is not.
package repair

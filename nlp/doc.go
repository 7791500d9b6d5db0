// Package nlp answers persona questions (CRO, CFO, COO, CTO) over a
// tenant's data and knowledge: PII redaction, persona routing, a tenant
// knowledge base with hybrid retrieval, and an LLM gateway.
//
// This package is being built; see the project issues.
package nlp

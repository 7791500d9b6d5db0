package nlp

import (
	"fmt"
	"slices"
	"strings"
)

// Persona is an executive role a question is answered for.
type Persona string

// The four personas.
const (
	CRO Persona = "cro" // revenue: pipeline, opportunities, win rate
	CFO Persona = "cfo" // finance: invoices, revenue, cash
	COO Persona = "coo" // operations: activities, accounts, throughput
	CTO Persona = "cto" // technology: connections, schema drift, health
)

// AllPersonas lists the personas in a fixed order.
func AllPersonas() []Persona { return []Persona{CRO, CFO, COO, CTO} }

// ParsePersona accepts "cro", "CRO", " Cfo " and so on. Anything else
// fails with [ErrUnknownPersona].
func ParsePersona(s string) (Persona, error) {
	p := Persona(strings.ToLower(strings.TrimSpace(s)))
	if slices.Contains(AllPersonas(), p) {
		return p, nil
	}
	return "", fmt.Errorf("%w: %q", ErrUnknownPersona, s)
}

// Scope names a kind of tenant data a persona looks at first; retrieval
// uses it as a filter.
type Scope string

// The data scopes.
const (
	ScopePipeline      Scope = "pipeline"
	ScopeOpportunities Scope = "opportunities"
	ScopeInvoices      Scope = "invoices"
	ScopeRevenue       Scope = "revenue"
	ScopeActivities    Scope = "activities"
	ScopeOperations    Scope = "operations"
	ScopeConnections   Scope = "connections"
	ScopeDrift         Scope = "drift"
	ScopeHealth        Scope = "system_health"
)

// Profile describes a persona: how it is recognized (Description and
// Lexicon), how the LLM is instructed (SystemPrompt) and which data it
// looks at first (Scopes).
type Profile struct {
	Persona      Persona
	Title        string
	Description  string
	SystemPrompt string
	Scopes       []Scope
	// Lexicon maps terms (single words or two-word phrases, written
	// naturally; they are normalized like questions) to weights.
	Lexicon map[string]float64
}

// Profiles returns the default profiles of the four personas. The result
// is a fresh copy the caller may change.
func Profiles() []Profile {
	out := make([]Profile, 0, len(defaultProfiles))
	for _, p := range defaultProfiles {
		p.Scopes = slices.Clone(p.Scopes)
		lex := make(map[string]float64, len(p.Lexicon))
		for k, v := range p.Lexicon {
			lex[k] = v
		}
		p.Lexicon = lex
		out = append(out, p)
	}
	return out
}

// ProfileOf returns the default profile of p.
func ProfileOf(p Persona) (Profile, bool) {
	for _, pr := range Profiles() {
		if pr.Persona == p {
			return pr, true
		}
	}
	return Profile{}, false
}

const promptRules = " Answer only from the figures and passages you are given, cite the passages you use, say plainly when the data does not answer the question, and never reveal or guess personal data: placeholders such as [EMAIL_1] stand for redacted values and must be kept as they are."

var defaultProfiles = []Profile{
	{
		Persona:     CRO,
		Title:       "Chief Revenue Officer",
		Description: "sales pipeline, opportunities and deals by stage, bookings, quota attainment, win rate, forecast, leads, prospects, customers, accounts, renewals, churn, upsell, sales reps and territories",
		SystemPrompt: "You are the assistant of the Chief Revenue Officer. Focus on the sales pipeline and opportunities: " +
			"amounts by stage, win rate, forecast, deal risk and the accounts behind them." + promptRules,
		Scopes: []Scope{ScopePipeline, ScopeOpportunities},
		Lexicon: map[string]float64{
			"pipeline": 3, "opportunity": 3, "deal": 3, "win rate": 4, "win": 1.5, "lost": 1.5, "close": 1.5, "closed won": 3,
			"forecast": 2, "quota": 3, "booking": 2.5, "lead": 2.5, "prospect": 2.5, "sales": 2.5, "rep": 2, "stage": 2,
			"renewal": 2, "churn": 2, "upsell": 2.5, "cross sell": 2.5, "territory": 2, "account executive": 3, "arr": 1.5,
			"conversion": 1.5, "funnel": 2.5, "demo": 1.5, "proposal": 1.5, "negotiation": 2, "competitor": 1.5, "discount": 1,
			"top account": 2, "customer": 1, "sell": 2, "buyer": 1.5, "qualified": 2, "mql": 2.5, "sql": 1, "crm": 1.5,
			"sales cycle": 3, "deal size": 3, "commit": 1.5, "new business": 2.5, "expansion": 1.5, "acv": 2.5, "tcv": 2.5,
		},
	},
	{
		Persona:     CFO,
		Title:       "Chief Financial Officer",
		Description: "finance, invoices, billing, payments, receivables, overdue and unpaid invoices, revenue recognition, cash flow, margin, cost, budget, spend, expenses, profit, accounting and collections",
		SystemPrompt: "You are the assistant of the Chief Financial Officer. Focus on invoices and revenue: " +
			"open and overdue amounts, collections, recognized revenue, margins and cash." + promptRules,
		Scopes: []Scope{ScopeInvoices, ScopeRevenue},
		Lexicon: map[string]float64{
			"invoice": 4, "billing": 3, "bill": 2, "payment": 3, "paid": 2.5, "unpaid": 3, "overdue": 3, "receivable": 4,
			"payable": 3, "revenue": 2.5, "recognized revenue": 4, "cash": 3, "cash flow": 4, "margin": 3, "gross margin": 4,
			"cost": 2, "budget": 3, "spend": 2.5, "expense": 3, "profit": 3, "ebitda": 4, "accounting": 3, "collection": 3,
			"dso": 4, "sales outstanding": 4, "credit note": 3, "refund": 2, "tax": 2.5, "vat": 3, "audit": 2,
			"burn": 2.5, "runway": 3, "ledger": 3, "write off": 3, "finance": 3, "financial": 2.5, "fiscal": 2, "quarter end": 1.5,
			"owe": 2.5, "dunning": 3, "currency": 1.5, "fx": 2, "net": 1, "p&l": 3, "pnl": 3, "balance sheet": 4,
		},
	},
	{
		Persona:     COO,
		Title:       "Chief Operating Officer",
		Description: "operations, activities, tasks, meetings, calls, emails logged, team workload, throughput, fulfillment, support tickets, onboarding, service levels, process efficiency, staffing, headcount, productivity and delivery",
		SystemPrompt: "You are the assistant of the Chief Operating Officer. Focus on activities and operations: " +
			"activity volumes by kind and team, workload, backlogs, service levels and process bottlenecks." + promptRules,
		Scopes: []Scope{ScopeActivities, ScopeOperations},
		Lexicon: map[string]float64{
			"activity": 3.5, "task": 3, "meeting": 3, "call": 2, "logged": 2, "workload": 4, "throughput": 3,
			"operation": 3, "operational": 3, "fulfillment": 4, "shipment": 3, "delivery": 2.5, "support ticket": 4, "ticket": 2.5,
			"backlog": 2.5, "onboarding": 3, "sla": 3, "service level": 3, "process": 2.5, "efficiency": 3, "bottleneck": 3,
			"staffing": 4, "headcount": 3.5, "hire": 2, "productivity": 3.5, "team": 2, "capacity": 3, "utilization": 3,
			"escalation": 2, "resolution time": 3, "response time": 2.5, "handoff": 3, "vendor": 2, "supplier": 2.5,
			"inventory": 3, "warehouse": 2, "logistic": 3, "schedule": 2, "shift": 2.5, "overtime": 3, "busiest": 2,
			"follow up": 2.5, "customer success": 2, "who did": 2, "touchpoint": 3, "visit": 2,
		},
	},
	{
		Persona:     CTO,
		Title:       "Chief Technology Officer",
		Description: "technology, data connections and connectors, integrations, sync jobs, schema drift, field mappings, data quality, system health, uptime, latency, errors, failures, APIs, infrastructure, security and incidents",
		SystemPrompt: "You are the assistant of the Chief Technology Officer. Focus on connections, schema drift and system health: " +
			"failing or stale syncs, drift events, pending mapping repairs, error rates and latency." + promptRules,
		Scopes: []Scope{ScopeConnections, ScopeDrift, ScopeHealth},
		Lexicon: map[string]float64{
			"connection": 3.5, "connector": 4, "integration": 3.5, "sync": 3.5, "drift": 4, "schema": 4, "mapping": 3.5,
			"field": 2, "data quality": 3.5, "health": 2.5, "uptime": 4, "downtime": 4, "latency": 4, "error": 3, "failure": 3,
			"fail": 2.5, "api": 3.5, "endpoint": 3, "infrastructure": 4, "server": 3, "database": 3.5, "security": 3.5,
			"incident": 3, "outage": 4, "deploy": 3, "release": 2, "bug": 3, "stale": 2.5, "pipeline job": 2, "etl": 3.5,
			"salesforce connection": 3, "webhook": 3.5, "token": 2.5, "credential": 3, "rate limit": 3.5, "timeout": 3.5,
			"redis": 3, "postgres": 3, "cpu": 3, "memory": 2, "system": 2.5, "log": 1.5, "repair": 2.5, "source": 1.5, "cloud": 2.5,
			"breach": 3, "auth": 2.5, "sso": 3, "backup": 3, "disk": 3,
		},
	},
}

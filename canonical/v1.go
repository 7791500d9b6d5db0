package canonical

// V1 returns a new Ontology holding ontology v1 ("revops"), the contract
// in the project's spec. Each call returns a fresh copy, so a caller may
// register extra entities and fields on it without affecting others.
func V1() *Ontology {
	o, err := NewOntology(v1Entities()...)
	if err != nil {
		panic("canonical: ontology v1 is malformed: " + err.Error())
	}
	return o
}

func f(name string, t ValueType, desc string) Field {
	return Field{Name: name, Type: t, Description: desc}
}

func v1Entities() []Entity {
	return []Entity{
		{
			Name:        "account",
			Description: "a company, organization or customer that buys from us",
			Fields: []Field{
				f("id", TypeString, "the source's primary key for the company/organization/customer"),
				f("name", TypeString, "legal or display name"),
				f("domain", TypeDomain, "web site"),
				f("industry", TypeString, "industry or sector"),
				f("employee_count", TypeInteger, "number of employees"),
				f("annual_revenue", TypeDecimal, "yearly revenue"),
				f("currency", TypeCurrency, "currency of money fields on this record"),
				f("country", TypeCountry, "billing or head-office country"),
				f("phone", TypePhone, "main phone"),
				f("owner_id", TypeString, "id of the owning user/rep"),
				f("parent_account_id", TypeString, "parent company id"),
				f("created_at", TypeTimestamp, "record creation"),
				f("updated_at", TypeTimestamp, "last modification"),
			},
		},
		{
			Name:        "contact",
			Description: "a person at an account",
			Fields: []Field{
				f("id", TypeString, "primary key"),
				f("account_id", TypeString, "the account this person belongs to"),
				f("first_name", TypeString, "given name"),
				f("last_name", TypeString, "family name"),
				f("email", TypeEmail, "e-mail address"),
				f("phone", TypePhone, "main phone"),
				f("title", TypeString, "job title"),
				f("country", TypeCountry, "country"),
				f("owner_id", TypeString, "id of the owning user/rep"),
				f("created_at", TypeTimestamp, "record creation"),
				f("updated_at", TypeTimestamp, "last modification"),
			},
		},
		{
			Name:        "lead",
			Description: "a prospective customer not yet qualified",
			Fields: []Field{
				f("id", TypeString, "primary key"),
				f("first_name", TypeString, "given name"),
				f("last_name", TypeString, "family name"),
				f("email", TypeEmail, "e-mail address"),
				f("phone", TypePhone, "main phone"),
				f("company", TypeString, "company name as typed on the lead (not an id)"),
				f("title", TypeString, "job title"),
				f("status", TypeString, "lead status"),
				f("source", TypeString, "lead source / channel"),
				f("owner_id", TypeString, "id of the owning user/rep"),
				f("created_at", TypeTimestamp, "record creation"),
				f("updated_at", TypeTimestamp, "last modification"),
			},
		},
		{
			Name:        "opportunity",
			Description: "a deal or opportunity in the sales pipeline",
			Fields: []Field{
				f("id", TypeString, "primary key of the deal/opportunity"),
				f("account_id", TypeString, "the account it is sold to"),
				f("name", TypeString, "deal name"),
				f("stage", TypeString, "pipeline stage"),
				f("amount", TypeDecimal, "deal value"),
				f("currency", TypeCurrency, "currency of the amount"),
				f("probability", TypePercent, "win probability"),
				f("close_date", TypeDate, "expected or actual close date"),
				f("is_closed", TypeBoolean, "whether the deal is closed"),
				f("is_won", TypeBoolean, "whether the deal is won"),
				f("owner_id", TypeString, "id of the owning user/rep"),
				f("created_at", TypeTimestamp, "record creation"),
				f("updated_at", TypeTimestamp, "last modification"),
			},
		},
		{
			Name:        "activity",
			Description: "a call, e-mail, meeting, task or note",
			Fields: []Field{
				f("id", TypeString, "primary key"),
				f("type", TypeString, "call, email, meeting, task, note"),
				f("subject", TypeString, "subject line"),
				f("account_id", TypeString, "the account it concerns"),
				f("contact_id", TypeString, "the contact it concerns"),
				f("opportunity_id", TypeString, "the opportunity it concerns"),
				f("owner_id", TypeString, "id of the owning user/rep"),
				f("occurred_at", TypeTimestamp, "when it happened or is due"),
				f("duration_minutes", TypeInteger, "duration in minutes"),
			},
		},
		{
			Name:        "invoice",
			Description: "a bill sent to a customer",
			Fields: []Field{
				f("id", TypeString, "primary key"),
				f("account_id", TypeString, "the billed customer"),
				f("number", TypeString, "human invoice number"),
				f("status", TypeString, "draft, open, paid, void, ..."),
				f("amount", TypeDecimal, "invoice total"),
				f("balance", TypeDecimal, "amount still due"),
				f("currency", TypeCurrency, "currency of the amounts"),
				f("issued_at", TypeDate, "invoice date"),
				f("due_at", TypeDate, "due date"),
				f("paid_at", TypeTimestamp, "when fully paid"),
			},
		},
	}
}

package kbtest

import "github.com/autonomos/autonomos/nlp"

// Question is a labelled question of [Corpus]: Want is the id of the
// document that answers it.
type Question struct {
	Text string
	Want string
}

// Corpus returns a small knowledge base of company documents (written for
// this suite, one subject each) and questions labelled with the document
// that answers them. The questions were written to use partly other words
// than their documents, so that neither exact wording nor one retrieval
// method alone answers all of them.
func Corpus() ([]nlp.Document, []Question) {
	docs := []nlp.Document{
		{ID: "policy/expenses", Title: "Travel and expense policy", Tags: []string{"cfo"}, Text: "Employees book travel through the company portal. Economy class is required for flights under six hours.\n\nExpense reports must be submitted within 30 days with receipts attached. Meals are reimbursed up to 60 euros per day."},
		{ID: "policy/invoicing", Title: "Invoicing and payment terms", Tags: []string{"invoices", "cfo"}, Text: "Invoices are issued on the first business day of each month. Standard payment terms are net 30.\n\nInvoices unpaid after 45 days are escalated to collections and a reminder is sent every week."},
		{ID: "finance/revenue-recognition", Title: "Revenue recognition", Tags: []string{"revenue"}, Text: "Subscription revenue is recognized ratably over the contract term. Professional services revenue is recognized when the work is delivered and accepted by the customer."},
		{ID: "sales/pipeline-stages", Title: "Sales pipeline stages", Tags: []string{"pipeline", "cro"}, Text: "Opportunities move through five stages: prospecting, discovery, proposal, negotiation and closed. A deal enters proposal only after a pricing quote is approved by the deal desk."},
		{ID: "sales/discounts", Title: "Discount approval", Tags: []string{"opportunities"}, Text: "Account executives may grant discounts up to 15 percent. Larger discounts need the approval of the regional sales director, and anything above 30 percent needs the CRO."},
		{ID: "sales/commission", Title: "Sales commission plan", Tags: []string{"cro"}, Text: "Reps earn 8 percent commission on new annual recurring revenue and 4 percent on renewals. Commission is paid quarterly after the customer pays the first invoice."},
		{ID: "ops/support-sla", Title: "Customer support service levels", Tags: []string{"operations", "coo"}, Text: "Priority one tickets get a first response within one hour, around the clock. Priority two tickets are answered within one business day. Tickets are escalated to engineering after two days without resolution."},
		{ID: "ops/onboarding", Title: "Customer onboarding process", Tags: []string{"activities"}, Text: "Every new customer gets a kickoff meeting in the first week, a training session in the second week and a health check call after 90 days. The customer success manager logs each activity in the CRM."},
		{ID: "ops/warehouse", Title: "Warehouse shipping cutoff", Tags: []string{"operations"}, Text: "Orders received before 2 pm ship the same day from the Rotterdam warehouse. Orders after the cutoff ship the next morning. Returns are processed within five working days."},
		{ID: "it/salesforce-sync", Title: "Salesforce connector runbook", Tags: []string{"connections", "cto"}, Text: "The Salesforce connector syncs accounts, contacts and opportunities every 15 minutes. When the sync fails with an expired refresh token, an administrator must reconnect the integration from the settings page."},
		{ID: "it/schema-drift", Title: "Handling schema drift", Tags: []string{"drift"}, Text: "When a source system renames or removes a field, the drift detector raises an event. Safe changes are repaired automatically; breaking changes wait in the review queue until a data steward approves the new mapping."},
		{ID: "it/backups", Title: "Database backups", Tags: []string{"system_health"}, Text: "The production database is backed up every night at 01:00 UTC and kept for 35 days. A restore is tested once a quarter on a staging server."},
		{ID: "it/passwords", Title: "Password and access policy", Tags: []string{"cto"}, Text: "Passwords must be at least 14 characters. Single sign-on with multi-factor authentication is mandatory for all staff, and access is reviewed every six months."},
		{ID: "hr/vacation", Title: "Vacation policy", Text: "Full-time staff have 25 days of paid leave per year. Up to five unused days carry over to the next year and expire on 31 March."},
		{ID: "hr/remote-work", Title: "Remote work", Text: "Employees may work from home up to three days a week. The company pays a one-time allowance of 500 euros for home office equipment."},
		{ID: "company/office", Title: "Office locations", Text: "Our headquarters are in Amsterdam. We also have offices in Berlin and Lisbon, and the warehouse is in Rotterdam."},
	}
	questions := []Question{
		{"How long do I have to submit my expense report?", "policy/expenses"},
		{"Can I fly business class to New York?", "policy/expenses"},
		{"What are our payment terms on invoices?", "policy/invoicing"},
		{"When does an unpaid invoice go to collections?", "policy/invoicing"},
		{"How do we recognize subscription revenue?", "finance/revenue-recognition"},
		{"What stages does a deal go through?", "sales/pipeline-stages"},
		{"Who must approve a 20 percent discount?", "sales/discounts"},
		{"How much commission do reps get on renewals?", "sales/commission"},
		{"How fast must we respond to a priority one ticket?", "ops/support-sla"},
		{"What happens during customer onboarding?", "ops/onboarding"},
		{"Until what time can an order ship the same day?", "ops/warehouse"},
		{"The Salesforce sync failed with a token error, what do I do?", "it/salesforce-sync"},
		{"What happens when a source renames a field?", "it/schema-drift"},
		{"How long are database backups kept?", "it/backups"},
		{"What is the minimum password length?", "it/passwords"},
		{"How many vacation days do employees get?", "hr/vacation"},
		{"Can I work from home?", "hr/remote-work"},
		{"Where is the headquarters?", "company/office"},
		{"Is multi-factor authentication required?", "it/passwords"},
		{"How often are restores tested?", "it/backups"},
	}
	return docs, questions
}

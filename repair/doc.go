// Package repair places source fields on the canonical ontology and keeps
// those mappings right: a classical field matcher with an optional LLM
// advisor that learns from people's decisions, a versioned mapping
// registry, and a repairer that mends a mapping after schema drift on its
// own when it is sure and queues a review for a person when it is not.
//
// # Matching fields
//
// A [Matcher] takes the [drift.Schema] of one source object (its system,
// object name, fields, declared types and sample values) and decides, for
// every field, an ontology target "entity.field" or none, with a
// confidence and the evidence behind it:
//
//	m, err := repair.NewMatcher(canonical.V1(), nil) // nil: defaults, no LLM
//	if err != nil { ... }
//	res, err := m.Match(ctx, schema)
//	for _, f := range res.Fields {
//		fmt.Println(f.Source, f.Target, f.Confidence, f.Evidence)
//	}
//	mapping := res.Mapping() // a canonical.Mapping, unmapped fields included
//
// The matcher works without a network and combines evidence the way the
// classical schema matchers do (COMA, Cupid, distribution-based
// matching):
//
//   - The object is classified first. Its name ("deals", "Opportunity",
//     "customers_export.csv", "Kunden") speaks for an entity, more or less
//     strongly (a customer may be a company or a person); the fields speak
//     too, weighted by how telling each is (first and last names make a
//     person, a stage and an amount make a deal). One source object maps
//     onto one entity: fields that belong to another entity map to
//     nothing, except references, which map to the chosen entity's "_id"
//     fields whatever their shape (AccountId, CustomerRef.value, org_id,
//     associations.companies, acct_mgr).
//   - Names are split (camelCase, snake_case, dotted paths, digits,
//     run-together words such as "numberofemployees" or
//     "Mitarbeiterzahl"), stripped of vendor affixes (hs_, __c, x_,
//     properties., _value), expanded (cnt, nm, amt, acct, ctry, ...) and
//     mapped onto concept words through synonyms and common German,
//     French, Spanish, Portuguese and Dutch business words. Marker words
//     become flags: id/key/ref, date/time, is/has, units. Words repeating
//     the object's own entity are dropped ("AccountName" on an account).
//     The concept words are compared with each target's aliases (Dice
//     coefficient); unknown words are matched by Jaro-Winkler similarity.
//   - Values are profiled (e-mail, phone, web address, ISO currency,
//     country, dates, timestamps, epochs, id-like keys, numbers, 0..1 and
//     0..100 ranges, booleans, h:mm durations, single or several words;
//     [drift.Profile] adds grouped money and more date formats) and
//     weighed with the declared type against the target's value type.
//     When the name says nothing, values alone may place a field on a
//     target whose type is distinctive and unique in the entity (an
//     e-mail, currency, country, web address or phone column).
//   - Objects outside the ontology (tickets, orders, products, line
//     items, suppliers, history tables) map onto no entity: all their
//     fields map to nothing.
//   - A target is taken once per object: the best global assignment
//     (Hungarian algorithm) over the score matrix, so the main phone wins
//     over the mobile and LastModifiedDate over SystemModstamp.
//   - Under [MatcherConfig.Threshold] the matcher abstains. An abstention
//     has a confidence too: the probability that the field indeed maps to
//     nothing.
//
// Confidences are calibrated: a logistic function of the raw score and its
// margin over the nearest rival (for an abstention: how close the best
// candidate came, and whether another field took it). The coefficients
// are set from the first, untuned runs on the package's held-out batches
// of cases for other vendors, where about 96% of the proposed matches and
// 80% of the abstentions were right, so that the numbers hold on unseen sources
// rather than on the cases the lexicon was written from
// (TestCalibrationReport prints the reliability tables). Matching a
// 50-field object takes a few milliseconds (BenchmarkMatch50).
//
// # The LLM advisor
//
// [MatcherConfig.Advisor] adds a second opinion for the fields whose
// confidence is under [MatcherConfig.AdviseBelow]. [OpenAIAdvisor] speaks
// to any OpenAI-compatible chat-completions endpoint (configurable base
// URL and model), asks for a strict JSON answer, drops any entry that
// names a field it was not asked about or a target outside the chosen
// entity, caches answers by a fingerprint of the request, bounds each call
// with a timeout and counts calls and tokens per tenant through a
// [UsageRecorder] ([UsageCounter] keeps them in memory). On any failure
// (transport, status, malformed answer, timeout) the heuristic answer
// stands, and advice never breaks the one-target-per-field rule. Errors
// never carry the API key nor the samples.
//
// # Learning from people
//
// [MatcherConfig.Memory] holds each tenant's [Decision]s: approved and
// rejected pairings of a source field with a target. When the context
// carries a tenant ([tenancy.WithTenant]), the matcher reads that tenant's
// decisions and only those: a field approved once is recognized in
// another source by the similarity of its name and values (provenance
// "learned"), and a rejected pairing is not proposed again. [LocalMemory]
// is the in-memory [Memory]; the registry can back it with its store, and
// package learntest holds the conformance suite every implementation runs.
//
// # Errors
//
// Match returns an error wrapping [ErrInvalidSchema] for a field without a
// name or a name used twice, and the context's error when it is done.
// Advisor failures are [*AdvisorError] values matching [ErrAdvisor]; the
// matcher logs them and carries on. Invalid configuration wraps
// [ErrInvalidInput].
//
// # Concurrency
//
// A Matcher is immutable after [NewMatcher] and safe for concurrent use;
// so are [OpenAIAdvisor], [LocalMemory] and [UsageCounter].
//
// # Testing
//
// The evaluation cases of the project (shared/eval) and the package's own
// cases for other vendors (testdata/cases, testdata/holdout) run in the
// tests; examples/matcheval prints them as a table or JSON. Tests of the
// advisor run against an httptest server speaking the chat-completions
// wire format.
package repair

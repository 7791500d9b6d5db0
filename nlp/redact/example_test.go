package redact_test

import (
	"fmt"

	"github.com/autonomos/autonomos/nlp/redact"
)

func Example() {
	rd := redact.Redact("Refund Anna (anna@acme.com, +1 212 867 5309) to DE89 3704 0044 0532 0130 00; cc ANNA@ACME.COM.")
	fmt.Println(rd.Text)
	fmt.Println(rd)

	// The prompt (rd.Text) goes to the LLM; its answer is scanned too,
	// then restored for the user who asked.
	answer, n := rd.RedactOutput("Done: refunded [IBAN_1] and emailed [EMAIL_1]; copy to finance@acme.com.")
	fmt.Println(answer, n)
	fmt.Println(rd.Restore(answer))
	// Output:
	// Refund Anna ([EMAIL_1], [PHONE_1]) to [IBAN_1]; cc [EMAIL_1].
	// redaction: 4 values EMAIL=2 IBAN=1 PHONE=1
	// Done: refunded [IBAN_1] and emailed [EMAIL_1]; copy to [EMAIL_2]. 1
	// Done: refunded DE89 3704 0044 0532 0130 00 and emailed anna@acme.com; copy to finance@acme.com.
}

package filesource_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/autonomos/autonomos/aam/connectors/filesource"
	"github.com/autonomos/autonomos/aam/stream/memstream"
	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/tenancy"
)

// Read a directory of CSV exports, normalize each row into a canonical
// event and publish the events to the in-process stream, keeping the
// cursor of the last published batch.
func Example() {
	dir, _ := os.MkdirTemp("", "filesource-example")
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, "opps-2025-01.csv"), []byte("\ufeffId;Amount;Stage\nO-1;\"1.250,50\";Won\nO-2;300;Open;extra\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "opps-2025-02.csv"), []byte("Id;Amount;Stage\nO-3;99,90;Lost\n"), 0o644)

	src, err := filesource.New(dir, &filesource.Config{Objects: map[string]string{"opportunities": "opps-*.csv"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer src.Close()
	tenant := tenancy.MustParse("7b0c7a4e-2f7e-4a55-9d4c-1f2a3b4c5d6e")
	norm, err := canonical.NewNormalizer(tenant, canonical.Source{System: "file", ConnectionID: "exports", Object: "opportunities"},
		&canonical.Mapping{Fields: []canonical.FieldMapping{
			{Source: "Id", Target: "opportunity.id"},
			{Source: "Amount", Target: "opportunity.amount"},
			{Source: "Stage", Target: "opportunity.stage"},
		}}, &canonical.Config{Locale: canonical.Locale{DecimalSeparator: ','}})
	if err != nil {
		fmt.Println(err)
		return
	}
	broker := memstream.New(nil)
	pub, _ := broker.NewPublisher(nil)
	defer pub.Close()

	ctx := context.Background()
	for b, err := range src.Read(ctx, "opportunities", "") {
		if err != nil {
			fmt.Println(err)
			return
		}
		var events []canonical.Event
		for i, r := range b.Records {
			evs, err := norm.NormalizeRow(b.Header, r.Row, b.Ref(i))
			if err != nil {
				fmt.Println(err)
				continue
			}
			for _, ev := range evs {
				data, _ := json.Marshal(ev.Data)
				fmt.Println(b.Ref(i), ev.Entity, string(data))
				events = append(events, *ev)
			}
		}
		for _, e := range b.Errors {
			fmt.Println("row error:", e)
		}
		if err := pub.Publish(ctx, events...); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println("saved cursor:", b.Cursor)
	}
	// Output:
	// opps-2025-01.csv:2 opportunity {"amount":"1250.50","id":"O-1","stage":"Won"}
	// row error: opps-2025-01.csv:3: aam: row has the wrong number of cells: 4 cells, the header has 3
	// saved cursor: {"v":1,"file":"opps-2025-01.csv","off":57,"line":4,"hdr_end":19}
	// opps-2025-02.csv:2 opportunity {"amount":"99.90","id":"O-3","stage":"Lost"}
	// saved cursor: {"v":1,"file":"opps-2025-02.csv","off":31,"line":3,"hdr_end":16}
}

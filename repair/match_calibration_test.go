package repair

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// calSample is one decision with the features the confidence formulas
// read, and whether it was right.
type calSample struct {
	mapped  bool
	x       [3]float64 // mapped: 1, score, margin; abstained: 1, threshold-best, taken
	correct bool
}

func collectCalibration(t *testing.T, m *Matcher, dirs ...string) []calSample {
	t.Helper()
	var out []calSample
	for _, d := range dirs {
		if _, err := os.Stat(d); err != nil {
			continue
		}
		for _, c := range loadMatchCases(t, d) {
			res, feats, err := m.matchWithFeatures(context.Background(), c.schema())
			if err != nil {
				t.Fatal(err)
			}
			for i, f := range res.Fields {
				want := ""
				if e := c.Expected[f.Source]; e != nil {
					want = *e
				}
				out = append(out, calSample{mapped: f.Target != "", x: feats[i], correct: f.Target == want})
			}
		}
	}
	return out
}

// fitLogistic fits w for P(correct) = sigmoid(w . x) by gradient descent
// with a little L2 shrinkage towards the starting point.
func fitLogistic(samples []calSample, mapped bool, w0 [3]float64) [3]float64 {
	w := w0
	for iter := 0; iter < 20000; iter++ {
		var g [3]float64
		n := 0
		for _, s := range samples {
			if s.mapped != mapped {
				continue
			}
			n++
			z := w[0]*s.x[0] + w[1]*s.x[1] + w[2]*s.x[2]
			p := sigmoid(z)
			y := 0.0
			if s.correct {
				y = 1
			}
			for k := range g {
				g[k] += (p - y) * s.x[k]
			}
		}
		if n == 0 {
			return w
		}
		for k := range w {
			w[k] -= 0.05 * (g[k]/float64(n) + 0.02*(w[k]-w0[k]))
		}
	}
	return w
}

func logLoss(samples []calSample, mapped bool, w [3]float64) float64 {
	sum, n := 0.0, 0
	for _, s := range samples {
		if s.mapped != mapped {
			continue
		}
		p := sigmoid(w[0]*s.x[0] + w[1]*s.x[1] + w[2]*s.x[2])
		p = math.Min(math.Max(p, 1e-6), 1-1e-6)
		if s.correct {
			sum -= math.Log(p)
		} else {
			sum -= math.Log(1 - p)
		}
		n++
	}
	return sum / float64(max(1, n))
}

// TestCalibrationFit refits the confidence coefficients on the dev cases
// and the first batch of own cases when AOS_FIT_CALIBRATION=1, and prints
// them; the holdout batch is kept out of the fit to check it.
func TestCalibrationFit(t *testing.T) {
	if os.Getenv("AOS_FIT_CALIBRATION") != "1" {
		t.Skip("set AOS_FIT_CALIBRATION=1 to refit the confidence coefficients")
	}
	m, err := NewMatcher(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	train := collectCalibration(t, m, devDir(), filepath.Join("testdata", "cases"))
	wm := fitLogistic(train, true, [3]float64{-3, 6.5, 4})
	wn := fitLogistic(train, false, [3]float64{2, 6, 0.5})
	t.Logf("calMatch = %.2f, %.2f, %.2f (loss %.4f -> %.4f)", wm[0], wm[1], wm[2], logLoss(train, true, calMatch), logLoss(train, true, wm))
	t.Logf("calNone  = %.2f, %.2f, %.2f (loss %.4f -> %.4f)", wn[0], wn[1], wn[2], logLoss(train, false, calNone), logLoss(train, false, wn))
}

package testenv

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
	tcpostgres "github.com/testcontainers/testcontainers-go/modules/postgres"
	tcredis "github.com/testcontainers/testcontainers-go/modules/redis"
)

// Container images, as the issue names them.
const (
	postgresImage = "pgvector/pgvector:pg16"
	redisImage    = "redis:7"
)

const (
	// dockerProbeTimeout bounds the question "does a Docker engine
	// answer?". Without one (no socket, no DOCKER_HOST) the answer comes at
	// once; the bound only matters for an engine that is configured but
	// hangs.
	dockerProbeTimeout = 5 * time.Second
	// containerStartTimeout covers an image pull on a cold machine.
	containerStartTimeout = 5 * time.Minute
)

// errNoDocker is the reason given when no Docker engine answers.
var errNoDocker = errors.New("no Docker engine answers")

var docker struct {
	once sync.Once
	err  error
}

// dockerAvailable reports, once per process, whether a Docker engine
// answers; nil means it does.
func dockerAvailable() error {
	docker.once.Do(func() { docker.err = probeDocker() })
	return docker.err
}

func probeDocker() error {
	done := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil { // testcontainers panics on some broken setups
				done <- fmt.Errorf("%w: %v", errNoDocker, r)
			}
		}()
		ctx, cancel := context.WithTimeout(context.Background(), dockerProbeTimeout)
		defer cancel()
		p, err := testcontainers.ProviderDocker.GetProvider(testcontainers.WithLogger(tclog.NewNoopLogger()))
		if err != nil {
			done <- fmt.Errorf("%w: %v", errNoDocker, err)
			return
		}
		defer p.Close()
		if err := p.Health(ctx); err != nil {
			done <- fmt.Errorf("%w: %v", errNoDocker, err)
			return
		}
		done <- nil
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(dockerProbeTimeout + time.Second):
		return fmt.Errorf("%w: no answer within %s", errNoDocker, dockerProbeTimeout)
	}
}

// containerURL starts a container once per process and returns its URL.
// Testcontainers' reaper removes the container when the process ends, so
// one container serves every test of a test binary.
type containerURL struct {
	once sync.Once
	url  string
	err  error
}

func (c *containerURL) get(start func(context.Context) (string, error)) (string, error) {
	c.once.Do(func() {
		if err := dockerAvailable(); err != nil {
			c.err = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), containerStartTimeout)
		defer cancel()
		c.url, c.err = start(ctx)
	})
	return c.url, c.err
}

var pgContainer, redisContainer containerURL

func postgresContainerURL() (string, error) {
	return pgContainer.get(func(ctx context.Context) (string, error) {
		ctr, err := tcpostgres.Run(ctx, postgresImage,
			tcpostgres.WithDatabase("postgres"),
			tcpostgres.WithUsername("postgres"),
			tcpostgres.WithPassword("postgres"),
			tcpostgres.BasicWaitStrategies(),
		)
		if err != nil {
			return "", fmt.Errorf("start %s container: %w", postgresImage, err)
		}
		return ctr.ConnectionString(ctx, "sslmode=disable")
	})
}

func redisContainerURL() (string, error) {
	return redisContainer.get(func(ctx context.Context) (string, error) {
		ctr, err := tcredis.Run(ctx, redisImage)
		if err != nil {
			return "", fmt.Errorf("start %s container: %w", redisImage, err)
		}
		return ctr.ConnectionString(ctx)
	})
}

// Command cert-manager runs the parts of the real cert-manager that lifeboat's cert-manager mode relies on, out of
// cluster against one API server: the Certificate controllers with the approver and the self-signed and CA issuers
// (Issuer -> Certificate -> CertificateRequest -> Secret, and renewal), and the CA injector for
// Validating/MutatingWebhookConfigurations (cert-manager.io/inject-ca-from). The controllers and the injector are the
// cert-manager module's own packages; only the process around them is the project's: the upstream binaries live in
// modules of their own that the Go module proxy does not serve, and they bring ACME, Vault, Venafi and the Gateway
// API that these tests have no use for.
//
//	cert-manager --kubeconfig FILE [--cluster-resource-namespace NS] [--namespace NS]
//
// It runs until SIGTERM or SIGINT; "cert-manager: started" on stderr says the controllers and the injector run.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	cmscheme "github.com/cert-manager/cert-manager/pkg/client/clientset/versioned/scheme"
	controllerpkg "github.com/cert-manager/cert-manager/pkg/controller"
	"github.com/cert-manager/cert-manager/pkg/controller/cainjector"
	logf "github.com/cert-manager/cert-manager/pkg/logs"
	"github.com/cert-manager/cert-manager/pkg/util"
	corev1 "k8s.io/api/core/v1"
	apiext "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	kscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
	apireg "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	// Each of these registers its controller with controllerpkg by name (init); only the named ones are started.
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/approver"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/ca"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/selfsigned"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/issuing"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/keymanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/readiness"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/requestmanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/revisionmanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/trigger"
	_ "github.com/cert-manager/cert-manager/pkg/controller/clusterissuers"
	_ "github.com/cert-manager/cert-manager/pkg/controller/issuers"
	// The issuer types the issuers/clusterissuers controllers can set up (Ready condition): self-signed and CA only.
	_ "github.com/cert-manager/cert-manager/pkg/issuer/ca"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/selfsigned"
)

// version is stamped by testenv/build.sh (the cert-manager module version this was built against).
var version = "unknown"

// controllers are the registered controllers this program starts: everything a self-signed or CA Issuer (or
// ClusterIssuer) needs to issue and renew a Certificate's Secret.
var controllers = []string{
	"issuers", "clusterissuers",
	"certificates-trigger", "certificates-key-manager", "certificates-request-manager", "certificates-readiness",
	"certificates-issuing", "certificates-revision-manager",
	"certificaterequests-approver", "certificaterequests-issuer-selfsigned", "certificaterequests-issuer-ca",
}

func main() {
	// A flag set of its own: controller-runtime registers --kubeconfig on the global one when it is imported.
	flags := flag.NewFlagSet("cert-manager", flag.ExitOnError)
	kubeconfig := flags.String("kubeconfig", "", "kubeconfig of the API server to run against (required)")
	namespace := flags.String("namespace", "", "only watch this namespace (default: all)")
	clusterNS := flags.String("cluster-resource-namespace", "kube-system", "namespace holding ClusterIssuers' Secrets")
	showVersion := flags.Bool("version", false, "print the cert-manager version this was built from and exit")
	klog.InitFlags(flags)
	_ = flags.Parse(os.Args[1:]) // ExitOnError: a bad flag exits with the usage
	if *showVersion {
		fmt.Println(version)
		return
	}
	if *kubeconfig == "" {
		fmt.Fprintln(os.Stderr, "cert-manager: --kubeconfig is required: the kubeconfig file of the API server to run against")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	ctx = logf.NewContext(ctx, logf.Log)
	ctrl.SetLogger(logf.Log)
	if err := run(ctx, *kubeconfig, *namespace, *clusterNS); err != nil {
		fmt.Fprintf(os.Stderr, "cert-manager: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, kubeconfig, namespace, clusterNS string) error {
	known := controllerpkg.Known()
	for _, name := range controllers {
		if known[name] == nil {
			return fmt.Errorf("controller %q is not registered by the cert-manager module %s", name, version)
		}
	}
	factory, err := controllerpkg.NewContextFactory(ctx, controllerpkg.ContextOptions{
		Kubeconfig:         kubeconfig,
		Namespace:          namespace,
		KubernetesAPIQPS:   20,
		KubernetesAPIBurst: 50,
		IssuerOptions:      controllerpkg.IssuerOptions{ClusterResourceNamespace: clusterNS},
		CertificateOptions: controllerpkg.CertificateOptions{
			// cert-manager's own defaults for a failed request's retry back-off.
			CertificateRequestMinimumBackoffDuration: time.Hour,
			CertificateRequestMaximumBackoffDuration: 32 * time.Hour,
		},
	})
	if err != nil {
		return fmt.Errorf("building the controller context: %w", err)
	}
	loops := make([]controllerpkg.Interface, 0, len(controllers))
	for _, name := range controllers {
		c, err := known[name](factory)
		if err != nil {
			return fmt.Errorf("setting up controller %s: %w", name, err)
		}
		loops = append(loops, c)
	}
	// The informer factories are shared by every Context the factory builds: starting one Context's starts them all,
	// after the controllers above registered the informers they use.
	shared, err := factory.Build("informers")
	if err != nil {
		return err
	}
	injector, err := newInjector(ctx, kubeconfig, namespace)
	if err != nil {
		return err
	}

	var wg sync.WaitGroup
	errs := make(chan error, len(loops)+1)
	for i, c := range loops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.Run(2, ctx); err != nil {
				errs <- fmt.Errorf("controller %s: %w", controllers[i], err)
			}
		}()
	}
	shared.SharedInformerFactory.Start(ctx.Done())
	shared.KubeSharedInformerFactory.Start(ctx.Done())
	shared.HTTP01ResourceMetadataInformersFactory.Start(ctx.Done())
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := injector.Start(ctx); err != nil {
			errs <- fmt.Errorf("CA injector: %w", err)
		}
	}()
	names := append([]string(nil), controllers...)
	sort.Strings(names)
	fmt.Fprintf(os.Stderr, "cert-manager: started (%s; controllers: %s; CA injector for webhook configurations)\n",
		version, strings.Join(names, ", "))

	select {
	case <-ctx.Done():
		wg.Wait()
		return nil
	case err := <-errs:
		return err
	}
}

// newInjector is the CA injector: a controller-runtime manager whose reconcilers copy ca.crt of the Secret of the
// Certificate named by cert-manager.io/inject-ca-from into every webhook's clientConfig.caBundle.
func newInjector(ctx context.Context, kubeconfig, namespace string) (ctrl.Manager, error) {
	restConfig, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", kubeconfig, err)
	}
	restConfig = util.RestConfigWithUserAgent(restConfig, "cainjector")
	scheme := runtime.NewScheme()
	utilruntime.Must(kscheme.AddToScheme(scheme))
	utilruntime.Must(cmscheme.AddToScheme(scheme))
	utilruntime.Must(apiext.AddToScheme(scheme))
	utilruntime.Must(apireg.AddToScheme(scheme))
	var namespaces map[string]cache.Config
	if namespace != "" {
		namespaces = map[string]cache.Config{namespace: {}}
	}
	mgr, err := ctrl.NewManager(restConfig, ctrl.Options{
		Scheme:  scheme,
		Cache:   cache.Options{ReaderFailOnMissingInformer: true, DefaultNamespaces: namespaces},
		Metrics: metricsserver.Options{BindAddress: "0"},
		// Secrets are read directly, as the upstream injector does: caching every Secret's data is what it avoids.
		Client: client.Options{Cache: &client.CacheOptions{DisableFor: []client.Object{&corev1.Secret{}}}},
	})
	if err != nil {
		return nil, fmt.Errorf("creating the CA injector's manager: %w", err)
	}
	err = cainjector.RegisterAllInjectors(ctx, mgr, cainjector.SetupOptions{
		Namespace:                    namespace,
		EnableCertificatesDataSource: true,
		EnabledReconcilersFor: map[string]bool{
			cainjector.MutatingWebhookConfigurationName:   true,
			cainjector.ValidatingWebhookConfigurationName: true,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("registering the CA injectors: %w", err)
	}
	return mgr, nil
}

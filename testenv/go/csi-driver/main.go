// A small CSI driver for the test node (test/support/realnode.ts): volumes are directories under --root, snapshots
// and clones are copies of them, and a Pod's volume is a bind mount of its directory. It implements what VolSync's
// Snapshot, Clone and Direct copy methods use (CreateVolume from a snapshot or a volume, CreateSnapshot), and
// registers itself with the kubelet through the plugin registration socket, so no node-driver-registrar is needed.
// It runs as a host process beside the kubelet, as root.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"syscall"

	csi "github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
	registration "k8s.io/kubelet/pkg/apis/pluginregistration/v1"
)

var version = "dev"

type driver struct {
	csi.UnimplementedIdentityServer
	csi.UnimplementedControllerServer
	csi.UnimplementedNodeServer
	name   string
	nodeID string
	root   string
}

// Names come from the provisioner ("pvc-<uid>") and the snapshotter ("snapshot-<uid>"); anything else could
// escape the root directory.
var safeName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._-]{0,200}$`)

func (d *driver) volumeDir(id string) string   { return filepath.Join(d.root, "volumes", id) }
func (d *driver) snapshotDir(id string) string { return filepath.Join(d.root, "snapshots", id) }

func exists(path string) bool { _, err := os.Stat(path); return err == nil }

// copyTree copies a directory's content with owners, modes and times (cp -a), into a fresh directory that only
// appears under its final name once complete.
func copyTree(from, to string) error {
	partial := to + ".partial"
	if err := os.RemoveAll(partial); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(partial), 0o755); err != nil {
		return err
	}
	if out, err := exec.Command("cp", "-a", from, partial).CombinedOutput(); err != nil {
		return fmt.Errorf("cp -a %s %s: %v: %s", from, partial, err, out)
	}
	return os.Rename(partial, to)
}

func (d *driver) GetPluginInfo(context.Context, *csi.GetPluginInfoRequest) (*csi.GetPluginInfoResponse, error) {
	return &csi.GetPluginInfoResponse{Name: d.name, VendorVersion: version}, nil
}

func (d *driver) GetPluginCapabilities(context.Context, *csi.GetPluginCapabilitiesRequest) (*csi.GetPluginCapabilitiesResponse, error) {
	return &csi.GetPluginCapabilitiesResponse{Capabilities: []*csi.PluginCapability{{
		Type: &csi.PluginCapability_Service_{Service: &csi.PluginCapability_Service{
			Type: csi.PluginCapability_Service_CONTROLLER_SERVICE,
		}},
	}}}, nil
}

func (d *driver) Probe(context.Context, *csi.ProbeRequest) (*csi.ProbeResponse, error) {
	return &csi.ProbeResponse{}, nil
}

func controllerCapability(t csi.ControllerServiceCapability_RPC_Type) *csi.ControllerServiceCapability {
	return &csi.ControllerServiceCapability{Type: &csi.ControllerServiceCapability_Rpc{
		Rpc: &csi.ControllerServiceCapability_RPC{Type: t},
	}}
}

func (d *driver) ControllerGetCapabilities(context.Context, *csi.ControllerGetCapabilitiesRequest) (*csi.ControllerGetCapabilitiesResponse, error) {
	return &csi.ControllerGetCapabilitiesResponse{Capabilities: []*csi.ControllerServiceCapability{
		controllerCapability(csi.ControllerServiceCapability_RPC_CREATE_DELETE_VOLUME),
		controllerCapability(csi.ControllerServiceCapability_RPC_CREATE_DELETE_SNAPSHOT),
		controllerCapability(csi.ControllerServiceCapability_RPC_CLONE_VOLUME),
	}}, nil
}

func (d *driver) CreateVolume(_ context.Context, req *csi.CreateVolumeRequest) (*csi.CreateVolumeResponse, error) {
	id := req.GetName()
	if !safeName.MatchString(id) {
		return nil, status.Errorf(codes.InvalidArgument, "volume name %q: expected letters, digits, '.', '_' or '-'", id)
	}
	dir := d.volumeDir(id)
	source := req.GetVolumeContentSource()
	if !exists(dir) {
		var err error
		switch {
		case source.GetSnapshot() != nil:
			from := d.snapshotDir(source.GetSnapshot().GetSnapshotId())
			if !exists(from) {
				return nil, status.Errorf(codes.NotFound, "snapshot %s does not exist", source.GetSnapshot().GetSnapshotId())
			}
			err = copyTree(from, dir)
		case source.GetVolume() != nil:
			from := d.volumeDir(source.GetVolume().GetVolumeId())
			if !exists(from) {
				return nil, status.Errorf(codes.NotFound, "volume %s does not exist", source.GetVolume().GetVolumeId())
			}
			err = copyTree(from, dir)
		default:
			// World-writable like a fresh filesystem's root would be after fsGroup handling: Pods of any uid write.
			if err = os.MkdirAll(dir, 0o755); err == nil {
				err = os.Chmod(dir, 0o777)
			}
		}
		if err != nil {
			return nil, status.Errorf(codes.Internal, "creating volume %s: %v", id, err)
		}
	}
	return &csi.CreateVolumeResponse{Volume: &csi.Volume{
		VolumeId:      id,
		CapacityBytes: req.GetCapacityRange().GetRequiredBytes(),
		ContentSource: source,
	}}, nil
}

func (d *driver) DeleteVolume(_ context.Context, req *csi.DeleteVolumeRequest) (*csi.DeleteVolumeResponse, error) {
	if !safeName.MatchString(req.GetVolumeId()) {
		return nil, status.Errorf(codes.InvalidArgument, "volume id %q is not one of this driver's", req.GetVolumeId())
	}
	if err := os.RemoveAll(d.volumeDir(req.GetVolumeId())); err != nil {
		return nil, status.Errorf(codes.Internal, "deleting volume: %v", err)
	}
	return &csi.DeleteVolumeResponse{}, nil
}

func (d *driver) ValidateVolumeCapabilities(_ context.Context, req *csi.ValidateVolumeCapabilitiesRequest) (*csi.ValidateVolumeCapabilitiesResponse, error) {
	if !exists(d.volumeDir(req.GetVolumeId())) {
		return nil, status.Errorf(codes.NotFound, "volume %s does not exist", req.GetVolumeId())
	}
	return &csi.ValidateVolumeCapabilitiesResponse{Confirmed: &csi.ValidateVolumeCapabilitiesResponse_Confirmed{
		VolumeCapabilities: req.GetVolumeCapabilities(),
	}}, nil
}

func dirSize(dir string) int64 {
	var total int64
	_ = filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() {
			total += info.Size()
		}
		return nil
	})
	return total
}

func (d *driver) CreateSnapshot(_ context.Context, req *csi.CreateSnapshotRequest) (*csi.CreateSnapshotResponse, error) {
	id, source := req.GetName(), req.GetSourceVolumeId()
	if !safeName.MatchString(id) || !safeName.MatchString(source) {
		return nil, status.Errorf(codes.InvalidArgument, "snapshot name %q / source %q: unexpected characters", id, source)
	}
	dir := d.snapshotDir(id)
	if !exists(dir) {
		if !exists(d.volumeDir(source)) {
			return nil, status.Errorf(codes.NotFound, "source volume %s does not exist", source)
		}
		if err := copyTree(d.volumeDir(source), dir); err != nil {
			return nil, status.Errorf(codes.Internal, "creating snapshot %s: %v", id, err)
		}
	}
	info, err := os.Stat(dir)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "reading snapshot %s: %v", id, err)
	}
	return &csi.CreateSnapshotResponse{Snapshot: &csi.Snapshot{
		SnapshotId:     id,
		SourceVolumeId: source,
		SizeBytes:      dirSize(dir),
		CreationTime:   timestamppb.New(info.ModTime()),
		ReadyToUse:     true,
	}}, nil
}

func (d *driver) DeleteSnapshot(_ context.Context, req *csi.DeleteSnapshotRequest) (*csi.DeleteSnapshotResponse, error) {
	if !safeName.MatchString(req.GetSnapshotId()) {
		return nil, status.Errorf(codes.InvalidArgument, "snapshot id %q is not one of this driver's", req.GetSnapshotId())
	}
	if err := os.RemoveAll(d.snapshotDir(req.GetSnapshotId())); err != nil {
		return nil, status.Errorf(codes.Internal, "deleting snapshot: %v", err)
	}
	return &csi.DeleteSnapshotResponse{}, nil
}

func (d *driver) NodeGetInfo(context.Context, *csi.NodeGetInfoRequest) (*csi.NodeGetInfoResponse, error) {
	return &csi.NodeGetInfoResponse{NodeId: d.nodeID}, nil
}

func (d *driver) NodeGetCapabilities(context.Context, *csi.NodeGetCapabilitiesRequest) (*csi.NodeGetCapabilitiesResponse, error) {
	return &csi.NodeGetCapabilitiesResponse{}, nil
}

func mounted(target string) bool {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return false
	}
	return regexp.MustCompile(`(?m)^\S+ \S+ \S+ \S+ ` + regexp.QuoteMeta(target) + ` `).Match(data)
}

func (d *driver) NodePublishVolume(_ context.Context, req *csi.NodePublishVolumeRequest) (*csi.NodePublishVolumeResponse, error) {
	source, target := d.volumeDir(req.GetVolumeId()), req.GetTargetPath()
	if !exists(source) {
		return nil, status.Errorf(codes.NotFound, "volume %s does not exist", req.GetVolumeId())
	}
	if target == "" {
		return nil, status.Error(codes.InvalidArgument, "no target path")
	}
	if mounted(target) {
		return &csi.NodePublishVolumeResponse{}, nil
	}
	if err := os.MkdirAll(target, 0o750); err != nil {
		return nil, status.Errorf(codes.Internal, "creating %s: %v", target, err)
	}
	if err := syscall.Mount(source, target, "", syscall.MS_BIND, ""); err != nil {
		return nil, status.Errorf(codes.Internal, "bind mount %s on %s: %v", source, target, err)
	}
	if req.GetReadonly() {
		if err := syscall.Mount("", target, "", syscall.MS_BIND|syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
			_ = syscall.Unmount(target, 0)
			return nil, status.Errorf(codes.Internal, "read-only remount of %s: %v", target, err)
		}
	}
	return &csi.NodePublishVolumeResponse{}, nil
}

func (d *driver) NodeUnpublishVolume(_ context.Context, req *csi.NodeUnpublishVolumeRequest) (*csi.NodeUnpublishVolumeResponse, error) {
	target := req.GetTargetPath()
	for mounted(target) {
		if err := syscall.Unmount(target, 0); err != nil {
			return nil, status.Errorf(codes.Internal, "unmounting %s: %v", target, err)
		}
	}
	if err := os.Remove(target); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, status.Errorf(codes.Internal, "removing %s: %v", target, err)
	}
	return &csi.NodeUnpublishVolumeResponse{}, nil
}

// registrar answers the kubelet's plugin watcher, which finds the socket in its plugins_registry directory.
type registrar struct {
	registration.UnimplementedRegistrationServer
	name, endpoint string
}

func (r *registrar) GetInfo(context.Context, *registration.InfoRequest) (*registration.PluginInfo, error) {
	return &registration.PluginInfo{
		Type: registration.CSIPlugin, Name: r.name, Endpoint: r.endpoint, SupportedVersions: []string{"1.0.0"},
	}, nil
}

func (r *registrar) NotifyRegistrationStatus(_ context.Context, s *registration.RegistrationStatus) (*registration.RegistrationStatusResponse, error) {
	if !s.PluginRegistered {
		log.Printf("kubelet refused the registration: %s", s.Error)
	} else {
		log.Printf("registered with the kubelet")
	}
	return &registration.RegistrationStatusResponse{}, nil
}

func listen(path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, err
	}
	_ = os.Remove(path)
	return net.Listen("unix", path)
}

func main() {
	name := flag.String("name", "csi.lifeboat.test", "driver name (the StorageClass provisioner)")
	endpoint := flag.String("endpoint", "", "unix socket path the CSI services listen on")
	nodeID := flag.String("node-id", "", "this node's name")
	root := flag.String("root", "", "directory holding volumes/ and snapshots/")
	registrationDir := flag.String("registration-dir", "", "the kubelet's plugins_registry directory (empty: controller only)")
	flag.Parse()
	if *endpoint == "" || *nodeID == "" || *root == "" {
		log.Fatal("--endpoint, --node-id and --root are required")
	}
	d := &driver{name: *name, nodeID: *nodeID, root: *root}
	for _, sub := range []string{"volumes", "snapshots"} {
		if err := os.MkdirAll(filepath.Join(*root, sub), 0o755); err != nil {
			log.Fatal(err)
		}
	}
	servers := []*grpc.Server{}
	serve := func(path string, register func(*grpc.Server)) {
		l, err := listen(path)
		if err != nil {
			log.Fatalf("listening on %s: %v", path, err)
		}
		s := grpc.NewServer()
		register(s)
		servers = append(servers, s)
		go func() {
			if err := s.Serve(l); err != nil {
				log.Fatalf("serving %s: %v", path, err)
			}
		}()
	}
	serve(*endpoint, func(s *grpc.Server) {
		csi.RegisterIdentityServer(s, d)
		csi.RegisterControllerServer(s, d)
		csi.RegisterNodeServer(s, d)
	})
	if *registrationDir != "" {
		reg := filepath.Join(*registrationDir, *name+"-reg.sock")
		serve(reg, func(s *grpc.Server) {
			registration.RegisterRegistrationServer(s, &registrar{name: *name, endpoint: *endpoint})
		})
	}
	log.Printf("%s %s serving on %s", *name, version, *endpoint)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
	for _, s := range servers {
		s.Stop()
	}
}

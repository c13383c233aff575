package controllers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/pomerium-console/pomerium-console/api/v1alpha1"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/store"
)

// Finalizer keeps a custom resource until its store copy is deleted.
const Finalizer = "console.pomerium.io/store"

// subject is how the activity log names the controllers.
const subject = "kubernetes"

// unwatchedRecheck is how often an object that waits for something no
// watch reports looks again: a console namespace or a name made free
// through the API rather than Kubernetes, a namespace's contents deleted
// there. What Kubernetes and the reconciler change wakes it at once (see
// Setup).
const unwatchedRecheck = time.Minute

// pendingGrace is how long a stored object waits for the reconciler
// before its status says so: within it, the reconciler's status feed brings
// the object back with its final state, and the object's status is written
// once (Synced and Ready together) instead of Pending first. An object the
// reconciler has not written after it (a reconciler that is down or far
// behind) is reported Pending.
const pendingGrace = 10 * time.Second

// mirror is what one kind needs to be mirrored into the store.
type mirror[T client.Object] struct {
	// name names the controller.
	name   string
	client client.Client
	app    *manage.App
	// statuses are the reconciler's findings, for Ready.
	statuses store.StatusReader
	log      logr.Logger
	kind     store.Kind
	// records says whether the kind becomes a databroker record, so that
	// Ready waits for the reconciler.
	records bool
	newObj  func() T
	newList func() client.ObjectList
	// names finds the objects a status event is about.
	names names
	// toStore translates the resource into its store object; a *refError
	// says what it references is missing.
	toStore func(ctx context.Context, w writer, obj T) (store.Object, error)
}

// refError is a reference of a resource that cannot be resolved yet.
type refError struct {
	reason, message string
	// watched says that a watch reports what resolves it.
	watched bool
}

func (e *refError) Error() string { return e.message }

// Reconcile brings the store copy of one resource in line with it.
func (m *mirror[T]) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	obj := m.newObj()
	if err := m.client.Get(ctx, req.NamespacedName, obj); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	id := string(obj.GetUID())
	caller, err := m.app.System(ctx, subject, store.OriginKubernetes)
	if err != nil {
		return ctrl.Result{}, err
	}
	w := writer{app: m.app, caller: caller}
	if !obj.GetDeletionTimestamp().IsZero() {
		return m.remove(ctx, w, obj, id)
	}
	m.names.set(obj.GetUID(), req.NamespacedName)
	if controllerutil.AddFinalizer(obj, Finalizer) {
		if err := m.client.Update(ctx, obj); err != nil {
			return ctrl.Result{}, err
		}
	}
	st := consoleStatus(obj).DeepCopy()
	st.ObservedGeneration, st.ConsoleID = obj.GetGeneration(), id
	want, err := m.toStore(ctx, w, obj)
	var written store.Object
	if err == nil {
		written, err = m.write(ctx, w, want)
	}
	result := ctrl.Result{}
	var re *refError
	var se *manage.Error
	switch {
	case errors.As(err, &re):
		m.setSynced(st, obj, false, re.reason, re.message)
		if !re.watched {
			result.RequeueAfter = unwatchedRecheck
		}
	case errors.As(err, &se):
		// An invalid object waits for its own edit, or for a Policy or
		// ConsoleNamespace it names to be stored, which the watches report.
		m.setSynced(st, obj, false, refusalReason(se), se.Error())
		if se.Code != manage.CodeInvalid {
			result.RequeueAfter = unwatchedRecheck
		}
	case err != nil:
		return ctrl.Result{}, err
	default:
		// Until the reconciler has written the record, the status feed
		// brings the object back.
		m.setSynced(st, obj, true, "Stored", "the console holds generation "+fmt.Sprint(obj.GetGeneration()))
		pending, err := m.setReady(ctx, st, obj, written)
		if err != nil {
			return ctrl.Result{}, err
		}
		if wait := pendingGrace - time.Since(written.GetObjectMeta().ModifiedAt); pending && wait > 0 {
			// Not worth a write of its own: the status feed wakes the
			// object when the reconciler is done, the requeue if it is not.
			return ctrl.Result{RequeueAfter: wait}, nil
		}
	}
	return result, m.saveStatus(ctx, obj, st)
}

// write puts the store object through the use cases, which write nothing
// when the store holds it as is, so that an unchanged resource adds
// nothing to the activity log.
func (m *mirror[T]) write(ctx context.Context, w writer, want store.Object) (store.Object, error) {
	out, err := w.app.Mirror(ctx, w.caller, want)
	if err != nil {
		return nil, err
	}
	if v := out.GetObjectMeta().Version; v != 0 {
		m.log.V(1).Info("stored", "id", out.GetObjectMeta().ID, "version", v, "ref", want.GetObjectMeta().OriginRef)
	}
	return out, nil
}

// remove deletes the store copy of a resource being deleted, then lets
// Kubernetes delete the resource.
func (m *mirror[T]) remove(ctx context.Context, w writer, obj T, id string) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(obj, Finalizer) {
		return ctrl.Result{}, nil
	}
	err := w.app.Unmirror(ctx, w.caller, m.kind, id)
	var se *manage.Error
	switch {
	case errors.As(err, &se) && se.Code == manage.CodeFailedPrecondition:
		// Something still depends on it (a namespace with contents, a
		// policy in use): say so. Its deletion in Kubernetes wakes this
		// object; the recheck covers what only the store sees.
		st := consoleStatus(obj).DeepCopy()
		meta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: v1alpha1.ConditionReady, Status: metav1.ConditionFalse,
			Reason: "DeleteBlocked", Message: se.Error(), ObservedGeneration: obj.GetGeneration()})
		return ctrl.Result{RequeueAfter: unwatchedRecheck}, m.saveStatus(ctx, obj, st)
	case err != nil:
		return ctrl.Result{}, err
	}
	m.log.V(1).Info("removed from the store", "id", id, "name", obj.GetName(), "namespace", obj.GetNamespace())
	m.names.remove(obj.GetUID())
	controllerutil.RemoveFinalizer(obj, Finalizer)
	return ctrl.Result{}, m.client.Update(ctx, obj)
}

func (m *mirror[T]) setSynced(st *v1alpha1.Status, obj T, ok bool, reason, message string) {
	cond := metav1.Condition{Type: v1alpha1.ConditionSynced, Status: metav1.ConditionTrue, Reason: reason, Message: message, ObservedGeneration: obj.GetGeneration()}
	if !ok {
		cond.Status = metav1.ConditionFalse
		meta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: v1alpha1.ConditionReady, Status: metav1.ConditionFalse,
			Reason: reason, Message: message, ObservedGeneration: obj.GetGeneration()})
	}
	meta.SetStatusCondition(&st.Conditions, cond)
}

// setReady reports what the reconciler made of the stored object, or that
// it is still to come (pending).
func (m *mirror[T]) setReady(ctx context.Context, st *v1alpha1.Status, obj T, written store.Object) (pending bool, err error) {
	cond := metav1.Condition{Type: v1alpha1.ConditionReady, Status: metav1.ConditionTrue, Reason: "Stored",
		Message: "the console holds it", ObservedGeneration: obj.GetGeneration()}
	if m.records {
		wm := written.GetObjectMeta()
		found, err := m.statuses.Status(ctx, m.kind, wm.ID)
		if err != nil {
			return false, err
		}
		s, ok := found[wm.ID]
		switch {
		case !ok || s.ObjectVersion != wm.Version || s.State == store.SyncPending:
			pending = true
			cond.Status, cond.Reason, cond.Message = metav1.ConditionFalse, "Pending", "waiting for the console to write it to the databroker"
		case s.State == store.SyncError:
			cond.Status, cond.Reason, cond.Message = metav1.ConditionFalse, "Invalid", fieldMessage(s)
		default:
			cond.Reason, cond.Message = "Synced", fmt.Sprintf("databroker record version %d", s.RecordVersion)
			st.RecordVersion = int64(s.RecordVersion)
		}
	}
	meta.SetStatusCondition(&st.Conditions, cond)
	return pending, nil
}

func (m *mirror[T]) saveStatus(ctx context.Context, obj T, st *v1alpha1.Status) error {
	if equality.Semantic.DeepEqual(consoleStatus(obj), st) {
		return nil
	}
	*consoleStatus(obj) = *st
	if err := m.client.Status().Update(ctx, obj); err != nil && !apierrors.IsConflict(err) {
		return err
	}
	return nil
}

func fieldMessage(s store.ObjectStatus) string {
	if s.Field == "" {
		return s.Reason
	}
	return s.Field + ": " + s.Reason
}

// refusalReason is the condition reason for a refusal of the use cases.
func refusalReason(err *manage.Error) string {
	switch err.Code {
	case manage.CodeInvalid:
		return "Invalid"
	case manage.CodeAlreadyExists:
		return "NameTaken"
	case manage.CodeNotFound:
		return "NotFound"
	}
	return "Refused"
}

package lockx

// An acquireMode says how a critical section holds its lock, for checked
// mode's records.
type acquireMode uint8

const (
	exclusive acquireMode = iota // Do, DoContext, DoWhen
	shared                       // RDo, RDoContext
	tried                        // a TryDo that won: it never waited
)

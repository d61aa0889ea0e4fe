//! Lambda: function processes behind a Lambda Runtime API, and the Invoke API.

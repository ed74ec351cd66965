// Invoked by the schedule (EventBridge Scheduler): the event is schedule.payload, or {} without one.
export const handler = async (event) => {
  console.log(JSON.stringify({ level: 'info', msg: 'nightly report', day: new Date().toISOString().slice(0, 10), event }))
  return { ok: true }
}

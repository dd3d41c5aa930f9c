//! A received FEP-0837 `Offer{object: Agreement}`: a peer asks for some of
//! one of this node's offers.

use crate::agreements;
use crate::apub::activities::agreement::{Agreement, OfferAgreement};
use crate::context::Context;
use crate::error::Result;
use crate::store::PeerRow;

pub(super) async fn received(ctx: &Context, sender: &PeerRow, offer: OfferAgreement) -> Result<()> {
    let agreement = Agreement::read(&offer.object, "/object")?;
    agreements::offer_received(ctx, sender, &offer.id, &agreement).await
}
